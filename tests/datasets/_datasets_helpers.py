"""Procedural files in the official layouts, shared by the data-set tests."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

SIZES = (2, 3, 2, 2, 4, 3)  # a small Shapes3D grid in the official storage order


def labels_for(sizes: tuple[int, ...]) -> np.ndarray:
    classes = np.stack(np.unravel_index(np.arange(int(np.prod(sizes))), sizes), axis=1)
    # official-like values: hues k/10, scale linspace(0.75, 1.25), shape k, orientation degrees
    tables = [
        np.arange(sizes[0]) / 10,
        np.arange(sizes[1]) / 10,
        np.arange(sizes[2]) / 10,
        np.linspace(0.75, 1.25, sizes[3]),
        np.arange(sizes[4], dtype=float),
        np.linspace(-30, 30, sizes[5]),
    ]
    return np.stack([tables[k][classes[:, k]] for k in range(6)], axis=1)


def write_h5(
    path: Path,
    sizes: tuple[int, ...] = SIZES,
    *,
    compression: str | None = None,
    attrs: dict | None = None,
    images: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    n = int(np.prod(sizes))
    if images is None:
        images = np.random.RandomState(0).randint(0, 256, (n, 64, 64, 3)).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as fh:
        chunks = (1, 64, 64, 3) if compression else None
        fh.create_dataset("images", data=images, compression=compression, chunks=chunks)
        fh.create_dataset("labels", data=labels_for(sizes) if labels is None else labels)
        for key, value in (attrs or {}).items():
            fh.attrs[key] = value
    return images
