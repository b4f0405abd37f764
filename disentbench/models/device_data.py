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
from disentbench.datasets.pairs import draw_pairs, pair_stream_mode
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
    """A look-up data set: its pixel array on the host and the rows of given factors.

    ``rows_of_factors(factors, rs)`` draws what ``sample_observations_from_factors`` would draw
    (nuisance factors) and returns row numbers instead of images.
    """

    key: tuple[Any, ...]
    host_pixels: np.ndarray
    layout: str
    num_channels: int
    data: GroundTruthData
    rows_of_factors: Callable[[np.ndarray, np.random.RandomState], np.ndarray]

    def draw_indices(self, num: int, rs: np.random.RandomState) -> np.ndarray:
        """Rows of ``num`` observations drawn as ``sample_observations(num, rs)`` draws them."""
        return self.rows_of_factors(self.data.sample_factors(num, rs), rs)


def indexed(data: GroundTruthData) -> IndexedData | None:
    """The look-up view of ``data``, or ``None`` when its observations are not a pure look-up."""
    from disentbench.datasets.dsprites import DSpritesFull
    from disentbench.datasets.shapes3d import Shapes3D

    if type(data) is DSpritesFull:  # the variants add per-image noise: host path

        def dsprites_rows(factors: np.ndarray, rs: np.random.RandomState) -> np.ndarray:
            # The latent factors, then the nuisance colour (docs/reference/data.md §4.2).
            full = data.state_space.sample_all_factors(factors, rs)
            return factors_to_index(full, data.full_sizes)

        bits = data.images.bits
        return IndexedData(("dsprites", str(data.images.cache_file)), bits, "bits", 1, data, dsprites_rows)
    if type(data) is Shapes3D:

        def shapes3d_rows(factors: np.ndarray, rs: np.random.RandomState) -> np.ndarray:
            return factors_to_index(factors, data.sizes)

        return IndexedData(("shapes3d", str(data.pixel_file)), data.images, "hwc", 3, data, shapes3d_rows)
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


@dataclass(frozen=True)
class PairStreams:
    """What a pack of weakly-supervised models needs to draw pairs: each member's ``k`` and the
    RandomState of its new factor values (``disentbench.datasets.pairs``)."""

    ks: Sequence[int]
    value_states: Sequence[np.random.RandomState]


class PackBatches:
    """The next batch of every model of a pack on ``device``.

    ``next()`` gives ``(x, labels)``: for single images ``x`` is ``(K, B, C, 64, 64)`` float32 and
    ``labels`` ``None``; with ``pairs`` ``x`` is ``(K, 2, B, C, 64, 64)`` (both images of B pairs)
    and ``labels`` ``(K, B)`` int64 (docs/reference/weak.md §1.3). ``states()`` are the K data
    RandomState states right after the last batch returned, and (with pairs) the K value states.
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
        pairs: PairStreams | None = None,
    ):
        self.device = device
        self.pairs = pairs
        source = indexed(data) if on_device else None
        self.resident = source is not None
        value_states = list(pairs.value_states) if pairs is not None else []

        def states() -> tuple[list[Any], list[Any] | None]:
            values = [rs.get_state() for rs in value_states] if pairs is not None else None
            return [rs.get_state() for rs in random_states], values

        if source is not None:
            table = pixel_table(source, device)
            self._gather = table.gather
            if pairs is None:
                draw = lambda: np.stack([draw_indices(source, batch_size, rs, mode) for rs in random_states])  # noqa: E731
            else:
                draw = lambda: _stack_pairs(  # noqa: E731
                    data, batch_size, random_states, pairs, mode, source.rows_of_factors
                )
            self._stream = BatchStream(draw, states)  # index draws are cheap: no thread
        else:
            self._gather = None
            if pairs is None:
                draw = lambda: np.stack([draw_batch(data, batch_size, rs, mode) for rs in random_states])  # noqa: E731
            else:
                draw = lambda: _stack_pairs(data, batch_size, random_states, pairs, mode, None)  # noqa: E731
            self._stream = BatchStream(draw, states, prefetch=2 if prefetch else 0)

    def next(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        item = self._stream.next()
        labels = None
        if self.pairs is not None:
            item, label_rows = item
            labels = torch.from_numpy(label_rows).to(self.device, non_blocking=True)
        batch = torch.from_numpy(item)
        if self._gather is not None:
            return self._gather(batch.to(self.device, non_blocking=True)), labels
        if self.pairs is not None:
            batch = batch.to(torch.float32)
        return batch.to(self.device, non_blocking=True), labels

    def states(self) -> tuple[list[Any], list[Any] | None]:
        return self._stream.state()

    def close(self) -> None:
        self._stream.close()


def _stack_pairs(
    data: GroundTruthData,
    batch_size: int,
    random_states: Sequence[np.random.RandomState],
    pairs: PairStreams,
    mode: str,
    observe: Callable[[np.ndarray, np.random.RandomState], np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every member's pair batch: ``((K, 2, B, ...), (K, B))``; images (host) or rows (device)."""
    batches, labels = [], []
    for rs, values, k in zip(random_states, pairs.value_states, pairs.ks, strict=True):
        first, second, label = draw_pairs(data, batch_size, k, rs, values, pair_stream_mode(mode), observe)
        batches.append(np.stack([first, second]))
        labels.append(label)
    return np.stack(batches), np.stack(labels)
