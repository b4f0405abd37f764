"""Training batches of a pack: pixels resident on the training device, indices drawn on the host.

For a data set whose observation is a pure look-up of its factors (``dsprites_full``:
bit-packed masks, ``shapes3d``: uint8 RGB), the whole pixel array is placed on the training
device once per process (:func:`pixel_table`, cached), each model's ``RandomState`` draws the
row indices on the host exactly as ``sample_observations`` would draw its factors (same calls,
same order, so the same stream; docs/reference/data.md §4.2, §4.5), and the batch is gathered and
converted to float32 on the device: no image crosses from host to device during training.

Every other data set (the dSprites variants draw per-image noise as large as the image; procedural
data sets) is drawn on the host, as in the solo trainer, on one background thread for the pack.

Both paths give bit-identical float32 batches (``tests/models/test_device_data.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from disentbench.datasets.base import GroundTruthData, factors_to_index
from disentbench.models.data_stream import BatchStream, draw_batch


@dataclass
class PixelTable:
    """uint8 pixels of every image of a data set on one device, and how to decode a gather.

    ``layout`` is ``"bits"`` (rows ``(64, 8)`` of packed bits, big-endian as ``np.packbits``),
    or ``"hwc"`` (rows ``(64, 64, C)`` uint8, value/255).
    """

    pixels: torch.Tensor
    layout: str
    num_channels: int

    def gather(self, indices: torch.Tensor) -> torch.Tensor:
        """float32 ``(*indices.shape, C, 64, 64)`` images of the given rows."""
        rows = self.pixels[indices.reshape(-1)]
        if self.layout == "bits":
            shifts = torch.arange(7, -1, -1, device=rows.device, dtype=torch.uint8)
            bits = (rows.unsqueeze(-1) >> shifts) & 1  # (n, 64, 8, 8)
            images = bits.reshape(-1, 1, 64, 64).to(torch.float32)
        else:
            images = rows.permute(0, 3, 1, 2).to(torch.float32) / 255.0
        return images.reshape(*indices.shape, self.num_channels, 64, 64)


@dataclass
class IndexedData:
    """A look-up data set: its pixel array on the host and how a RandomState draws row indices."""

    key: tuple[Any, ...]
    host_pixels: np.ndarray
    layout: str
    num_channels: int
    draw_indices: Callable[[int, np.random.RandomState], np.ndarray]


def indexed(data: GroundTruthData) -> IndexedData | None:
    """The look-up view of ``data``, or ``None`` when its observations are not a pure look-up."""
    from disentbench.datasets.dsprites import DSpritesFull
    from disentbench.datasets.shapes3d import Shapes3D

    if type(data) is DSpritesFull:  # the variants add per-image noise: host path

        def dsprites_rows(num: int, rs: np.random.RandomState) -> np.ndarray:
            # sample_observations(num, rs): latent factors, then the nuisance colour
            # (docs/reference/data.md §4.2).
            full = data.state_space.sample_all_factors(data.sample_factors(num, rs), rs)
            return factors_to_index(full, data.full_sizes)

        bits = data.images.bits
        return IndexedData(("dsprites", str(data.images.cache_file)), bits, "bits", 1, dsprites_rows)
    if type(data) is Shapes3D:

        def shapes3d_rows(num: int, rs: np.random.RandomState) -> np.ndarray:
            return factors_to_index(data.sample_factors(num, rs), data.sizes)

        return IndexedData(("shapes3d", str(data.pixel_file)), data.images, "hwc", 3, shapes3d_rows)
    return None


#: One table per (data file, device) per process.
_TABLES: dict[tuple[Any, ...], PixelTable] = {}


def pixel_table(source: IndexedData, device: torch.device) -> PixelTable:
    """The pixels of ``source`` on ``device``, copied there once per process."""
    key = (*source.key, str(device))
    if key not in _TABLES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # read-only memmap: torch never writes it
            host = torch.from_numpy(source.host_pixels)
        pixels = host.to(device) if device.type != "cpu" else host
        _TABLES[key] = PixelTable(pixels, source.layout, source.num_channels)
    return _TABLES[key]


def draw_indices(source: IndexedData, batch_size: int, rs: np.random.RandomState, mode: str) -> np.ndarray:
    """Row indices of one batch, drawn as :func:`~disentbench.models.data_stream.draw_batch` draws."""
    if mode == "batched":
        return source.draw_indices(batch_size, rs)
    if mode == "per_observation":
        return np.concatenate([source.draw_indices(1, rs) for _ in range(batch_size)])
    raise ValueError(f"unknown data stream mode {mode!r}")


class PackBatches:
    """The next batch of every model of a pack, ``(K, B, C, 64, 64)`` float32 on ``device``.

    ``states()`` are the K RandomState states right after the last batch returned.
    """

    def __init__(
        self,
        data: GroundTruthData,
        batch_size: int,
        random_states: Sequence[np.random.RandomState],
        device: torch.device,
        *,
        mode: str = "batched",
        prefetch: bool = True,
        on_device: bool = True,
    ):
        self.device = device
        source = indexed(data) if on_device else None
        self.resident = source is not None
        states = lambda: [rs.get_state() for rs in random_states]  # noqa: E731
        if source is not None:
            table = pixel_table(source, device)
            self._gather = table.gather
            draw = lambda: np.stack([draw_indices(source, batch_size, rs, mode) for rs in random_states])  # noqa: E731
            self._stream = BatchStream(draw, states)  # index draws are cheap: no thread
        else:
            self._gather = None
            draw = lambda: np.stack([draw_batch(data, batch_size, rs, mode) for rs in random_states])  # noqa: E731
            self._stream = BatchStream(draw, states, prefetch=2 if prefetch else 0)

    def next(self) -> torch.Tensor:
        item = torch.from_numpy(self._stream.next())
        if self._gather is not None:
            return self._gather(item.to(self.device, non_blocking=True))
        return item.to(self.device, non_blocking=True)

    def states(self) -> list[Any]:
        return self._stream.state()

    def close(self) -> None:
        self._stream.close()
