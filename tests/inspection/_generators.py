"""Hand-made "models" with known factor axes over the reduced dSprites, and an exact classifier.

``QuantisedGenerator.decode(z)`` maps latent coordinate k (after an optional rotation R: the
coordinate is (R z)_k) linearly to the index of factor k — ``floor((u + 2) / 4 · size_k)``,
clipped to the factor's range — and returns that factor combination's image. So factor k's axis
is e_k (or row k of R), and moving along it changes factor k only. ``constant=True`` ignores z.
``LookupClassifier`` reads the factors of an exact dSprites image from a table of every image.
"""

from __future__ import annotations

import numpy as np

from disentbench.datasets.base import GroundTruthData, index_to_factors


class QuantisedGenerator:
    def __init__(
        self,
        data: GroundTruthData,
        num_latents: int = 10,
        rotation: np.ndarray | None = None,
        constant: bool = False,
    ):
        self.data = data
        self.num_latents = num_latents
        self.rotation = np.eye(num_latents) if rotation is None else np.asarray(rotation)
        self.constant = constant
        self.sizes = np.asarray(data.factors_num_values)

    def factors(self, z: np.ndarray) -> np.ndarray:
        u = np.asarray(z, dtype=np.float64) @ self.rotation.T
        if self.constant:
            u = np.zeros_like(u)
        k = len(self.sizes)
        index = np.floor((u[:, :k] + 2.0) / 4.0 * self.sizes[None, :]).astype(np.int64)
        return np.clip(index, 0, self.sizes[None, :] - 1)

    def decode(self, z: np.ndarray, *, probabilities: bool = False) -> np.ndarray:
        return self.data.sample_observations_from_factors(self.factors(z), np.random.RandomState(0))

    def encode(self, observations: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        n = len(observations)
        return np.zeros((n, self.num_latents), np.float32), np.zeros((n, self.num_latents), np.float32)


class LookupClassifier:
    """Exact factor values of dSprites images, from a table of every image of the grid."""

    def __init__(self, data: GroundTruthData):
        sizes = list(data.factors_num_values)
        factors = index_to_factors(np.arange(int(np.prod(sizes))), sizes)
        self.table: dict[bytes, np.ndarray] = {}
        for start in range(0, len(factors), 2048):
            chunk = factors[start : start + 2048]
            images = data.sample_observations_from_factors(chunk, np.random.RandomState(0))
            for key, row in zip(self._keys(images), chunk, strict=True):
                self.table.setdefault(key, row)
        self.factor_names = list(data.factor_names)
        self.accuracy = {name: 1.0 for name in self.factor_names}

    @staticmethod
    def _keys(images: np.ndarray) -> list[bytes]:
        bits = np.packbits(np.asarray(images) > 0.5, axis=-1)
        return [row.tobytes() for row in bits]

    def predict(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        return np.stack([self.table[key] for key in self._keys(images)])
