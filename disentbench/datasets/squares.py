"""A cheap procedural ground-truth data set for tests and benchmarks (not part of the study).

``SquaresData``: one white axis-aligned square on black, 64×64, with four factors (size, x, y and
a nuisance-free "intensity" for colour images). Vectorised numpy rendering, so drawing a batch of
64 costs well under a millisecond; a stand-in for dSprites when no data file may be needed.
"""

from __future__ import annotations

import numpy as np

from disentbench.datasets.base import GroundTruthData


class SquaresData(GroundTruthData):
    """Squares of side 8 + 4·size at grid position (x, y); ``num_channels`` 1 or 3."""

    name = "synthetic_squares"

    def __init__(self, num_channels: int = 1, positions: int = 16, sizes: int = 4):
        if num_channels not in (1, 3):
            raise ValueError(f"num_channels must be 1 or 3, got {num_channels}")
        self.num_channels = num_channels
        self.positions = positions
        self.sizes = sizes
        self._coords = np.arange(64)

    @property
    def factor_names(self) -> list[str]:
        names = ["size", "pos_x", "pos_y"]
        return [*names, "intensity"] if self.num_channels == 3 else names

    @property
    def factors_num_values(self) -> list[int]:
        sizes = [self.sizes, self.positions, self.positions]
        return [*sizes, 4] if self.num_channels == 3 else sizes

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (self.num_channels, 64, 64)

    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        factors = np.asarray(factors, dtype=np.int64)
        side = 8 + 4 * factors[:, 0]
        span = 64 - side
        x0 = factors[:, 1] * span // max(self.positions - 1, 1)
        y0 = factors[:, 2] * span // max(self.positions - 1, 1)
        c = self._coords
        in_x = (c[None, :] >= x0[:, None]) & (c[None, :] < (x0 + side)[:, None])
        in_y = (c[None, :] >= y0[:, None]) & (c[None, :] < (y0 + side)[:, None])
        images = (in_y[:, :, None] & in_x[:, None, :]).astype(np.float32)[:, None]
        if self.num_channels == 3:
            level = (0.4 + 0.2 * factors[:, 3]).astype(np.float32)[:, None, None, None]
            images = np.repeat(images, 3, axis=1) * level
        return images
