"""Shapes3D from the public ``3dshapes.h5`` (or our rendered stand-in in the same format).

docs/reference/data.md §4.5: ``images`` (480000, 64, 64, 3) uint8 RGB, ``labels`` (480000, 6) float64 factor
*values*; factors in storage order (orientation fastest): floor_hue 10, wall_hue 10,
object_hue 10, scale 8, shape 4, orientation 15, all latent, no nuisance, no noise.

Memory: the pixels stay uint8 (5.9 GB, not the reference's 23.6 GB of float32) and are divided by
255 per batch. If ``images`` is stored contiguously and uncompressed, the h5 file itself is
memory-mapped at the dataset's offset; otherwise it is copied once per machine into a raw uint8
cache file (``cache.py``) that every process maps read-only, sharing the page cache.

Factor indices are recovered from ``labels`` by ranking each column's distinct values (as TFDS
does); a reduced rendered file therefore yields its own, smaller factor sizes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from disentbench.datasets import cache, paths
from disentbench.datasets.base import GroundTruthData, factors_to_index
from disentbench.errors import DataFileError

FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
#: The latent factors' names, in factor order (what a model is asked to disentangle).
LATENT_FACTOR_NAMES = FACTOR_NAMES
OFFICIAL_SIZES = (10, 10, 10, 8, 4, 15)
OFFICIAL_SIZE_BYTES = 267_573_662
OFFICIAL_SHA256 = "0a0f6ed98baff276a50f3a081a7434d788da63cb135a98189b2a5b5769be1785"
_ROWS_PER_CHUNK = 4000


def _h5_error(path: Path, exc: Exception) -> DataFileError:
    return DataFileError(
        f"{path}: not a readable Shapes3D HDF5 file ({exc}); expected datasets 'images' "
        "(N, 64, 64, 3) uint8 and 'labels' (N, 6); delete it and download or render it again"
    )


def read_layout(path: Path) -> dict[str, Any]:
    """Validate ``images``/``labels`` and derive the factor grid and provenance attributes."""
    import h5py

    try:
        with h5py.File(path, "r") as fh:
            for key in ("images", "labels"):
                if key not in fh:
                    raise DataFileError(
                        f"{path}: dataset {key!r} missing; expected 'images' (N, 64, 64, 3) uint8 and "
                        f"'labels' (N, 6) float (found: {', '.join(fh.keys()) or 'nothing'})"
                    )
            images, labels = fh["images"], fh["labels"]
            if images.ndim != 4 or images.shape[1:] != (64, 64, 3) or images.dtype != np.uint8:
                raise DataFileError(
                    f"{path}: 'images' must be uint8 of shape (N, 64, 64, 3); found {images.dtype} "
                    f"{images.shape}"
                )
            n = int(images.shape[0])
            if labels.shape != (n, 6):
                raise DataFileError(f"{path}: 'labels' must have shape ({n}, 6); found {labels.shape}")
            label_values = np.asarray(labels[()], dtype=np.float64)
            contiguous = images.chunks is None and images.compression is None
            offset = images.id.get_offset() if contiguous else None
            attrs = {k: _attr(v) for k, v in fh.attrs.items()}
    except DataFileError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise _h5_error(path, exc) from None
    # Factor indices: ranks of each column's distinct values (the values are on a grid, §4.5).
    uniques = [np.unique(np.round(label_values[:, k], 6)) for k in range(6)]
    sizes = tuple(len(u) for u in uniques)
    if int(np.prod(sizes)) != n:
        raise DataFileError(
            f"{path}: labels take {list(sizes)} distinct values per factor, whose product "
            f"{int(np.prod(sizes))} is not the number of images {n}"
        )
    classes = np.stack(
        [np.searchsorted(uniques[k], np.round(label_values[:, k], 6)) for k in range(6)], axis=1
    )
    if not np.array_equal(factors_to_index(classes, sizes), np.arange(n)):
        raise DataFileError(f"{path}: images are not in the official order (orientation fastest, §4.5)")
    return {"num_images": n, "sizes": sizes, "offset": offset, "attrs": attrs, "values": uniques}


def _attr(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _build_raw(path: Path, n: int, tmp: Path) -> None:
    """Copy ``images`` into a raw uint8 ``(n, 64, 64, 3)`` ``.npy`` at ``tmp``, chunk by chunk."""
    import h5py

    try:
        with h5py.File(path, "r") as fh, cache.NpyWriter(tmp, np.uint8, (n, 64, 64, 3)) as out:
            images = fh["images"]
            for start in range(0, n, _ROWS_PER_CHUNK):
                out.write(images[start : min(n, start + _ROWS_PER_CHUNK)])
    except (OSError, KeyError, ValueError) as exc:
        raise _h5_error(path, exc) from None


class Shapes3D(GroundTruthData):
    """``shapes3d``: six latent factors, RGB observations ``(3, 64, 64)`` (docs/reference/data.md §4.5)."""

    name = "shapes3d"

    def __init__(
        self, root: str | os.PathLike[str] | None = None, *, path: str | os.PathLike[str] | None = None
    ):
        self.path = Path(path) if path is not None else paths.require("shapes3d", root)
        if not self.path.is_file():
            raise DataFileError(f"Shapes3D file not found: {self.path}")
        layout = read_layout(self.path)
        self.sizes: tuple[int, ...] = layout["sizes"]
        self.attrs: dict[str, Any] = layout["attrs"]
        self.factor_values: list[np.ndarray] = layout["values"]
        n = layout["num_images"]
        self.pixel_file, self.images = cache.map_pixels(
            self.path, layout["offset"], (n, 64, 64, 3), lambda tmp: _build_raw(self.path, n, tmp)
        )

    @property
    def factor_names(self) -> list[str]:
        return list(FACTOR_NAMES)

    @property
    def factors_num_values(self) -> list[int]:
        return list(self.sizes)

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (3, 64, 64)

    @property
    def provenance(self) -> dict[str, Any]:
        if "renderer" in self.attrs:
            return {
                "source": "rendered",
                "path": str(self.path),
                "renderer": self.attrs["renderer"],
                "renderer_version": str(self.attrs.get("renderer_version", "")),
                "render_params": self.attrs.get("render_params", {}),
                "reduced": bool(self.attrs.get("reduced", self.sizes != OFFICIAL_SIZES)),
            }
        return {
            "source": "official",
            "path": str(self.path),
            "sha256": checksums(self.path)["sha256"],
            "reduced": False,
        }

    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        """Images of the factor vectors (no nuisance factor, no draws), float32 ``(n, 3, 64, 64)``."""
        indices = factors_to_index(np.asarray(factors), self.sizes)
        batch = self.images[indices].transpose(0, 3, 1, 2)
        return batch.astype(np.float32) / np.float32(255.0)


def checksums(path: Path) -> dict[str, Any]:
    """SHA-256 of the file (cached per file version) and whether it is the official one (§4.7)."""

    def compute() -> dict[str, Any]:
        digest = cache.sha256_of(path)
        return {"sha256": digest, "verified": digest == OFFICIAL_SHA256}

    return cache.cached_json(path, "checksums", compute)
