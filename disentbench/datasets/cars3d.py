"""Cars3D from the ``.mat`` files of ``nips2015-analogy-data.tar.gz`` (docs/reference/data.md §4.6).

Files: ``cars/*.mat`` under the data root (the reference's layout; the archive holds them as
``data/cars/*.mat``), 183 MATLAB files, each with an array ``im`` of shape
(128, 128, 3, 24, 4) uint8: height, width, RGB, azimuth (24), elevation (4). Every image is
PIL-``thumbnail``-ed to 64×64 with the Lanczos (``ANTIALIAS``) filter and divided by 255:
183 × 24 × 4 = 17,568 images. Factors, all latent: elevation (4), azimuth (24), object (183).

Object ids: the reference numbers the objects by the position of their file in an unsorted
directory listing, which depends on the platform and file system. We sort the file names, so
object ``i`` is the ``i``-th file in name order on every machine (a deviation: the reference's
object ids are not reproducible across machines; the set of images is the same).

The reference passes ``(64, 64, 3)`` to ``thumbnail``, which current Pillow rejects; ``(64, 64)``
gives the same 64×64 result for the 128×128 images.

Memory: decoded once per machine into a uint8 cache (216 MB) stored file by file (object, then
azimuth, then elevation); a ``RowIndex`` built from those feature columns maps factor vectors to
rows (docs/reference/data.md §4.1). Batches are divided by 255 on sampling.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from disentbench.datasets import cache, paths
from disentbench.datasets.base import GroundTruthData
from disentbench.datasets.lookup import RowIndex
from disentbench.errors import DataFileError

FACTOR_NAMES = ("elevation", "azimuth", "object")
#: The latent factors' names, in factor order (what a model is asked to disentangle).
LATENT_FACTOR_NAMES = FACTOR_NAMES
OFFICIAL_SIZES = (4, 24, 183)
SOURCE_SIZE, OUTPUT_SIZE = 128, 64


def mat_files(directory: Path) -> list[Path]:
    """The ``.mat`` files of the directory in name order (object id = position)."""
    return sorted(p for p in directory.glob("*.mat") if p.is_file())


def _grid(directory: Path, files: list[Path], test_grid: tuple[int, ...] | None) -> tuple[int, ...]:
    sizes = tuple(test_grid) if test_grid is not None else OFFICIAL_SIZES
    if len(files) != sizes[2]:
        raise DataFileError(
            f"{directory}: {len(files)} .mat files; Cars3D has {sizes[2]} (one per car model); "
            "the download is incomplete: run `disentbench data download cars3d --force`"
        )
    return sizes


def read_mesh(path: Path, elevations: int, azimuths: int) -> np.ndarray:
    """The images of one car as uint8 ``(azimuth, elevation, 128, 128, 3)``."""
    import scipy.io

    try:
        content = scipy.io.loadmat(path)
    except (ValueError, TypeError, OSError, EOFError, NotImplementedError) as exc:
        raise DataFileError(
            f"{path}: not a readable MATLAB .mat file ({exc}); truncated or corrupted"
        ) from None
    if "im" not in content:
        found = ", ".join(k for k in content if not k.startswith("__")) or "nothing"
        raise DataFileError(f"{path}: array 'im' missing (found: {found})")
    im = content["im"]
    expected = (SOURCE_SIZE, SOURCE_SIZE, 3, azimuths, elevations)
    if im.dtype != np.uint8 or im.shape != expected:
        raise DataFileError(f"{path}: 'im' must be uint8 of shape {expected}; found {im.dtype} {im.shape}")
    return np.einsum("abcde->deabc", im)


def thumbnail_like_reference(image: np.ndarray) -> np.ndarray:
    """128×128×3 uint8 -> 64×64×3 uint8 with PIL ``thumbnail`` and the Lanczos filter."""
    from PIL import Image

    picture = Image.fromarray(np.ascontiguousarray(image))
    picture.thumbnail((OUTPUT_SIZE, OUTPUT_SIZE), Image.LANCZOS)
    return np.asarray(picture, dtype=np.uint8)


def features(sizes: tuple[int, ...]) -> np.ndarray:
    """Factor indices of the cache rows: file by file, azimuth-major, elevation fastest."""
    elevations, azimuths, objects = sizes
    rows = np.arange(elevations * azimuths * objects)
    per_object = elevations * azimuths
    return np.stack([rows % elevations, (rows % per_object) // elevations, rows // per_object], axis=1)


def _build_pixels(files: list[Path], sizes: tuple[int, ...], tmp: Path) -> None:
    elevations, azimuths, objects = sizes
    shape = (objects * azimuths * elevations, OUTPUT_SIZE, OUTPUT_SIZE, 3)
    with cache.NpyWriter(tmp, np.uint8, shape) as out:
        for path in files:
            mesh = read_mesh(path, elevations, azimuths).reshape(-1, SOURCE_SIZE, SOURCE_SIZE, 3)
            out.write(np.stack([thumbnail_like_reference(image) for image in mesh]))


class Cars3D(GroundTruthData):
    """``cars3d``: elevation, azimuth, object; RGB observations ``(3, 64, 64)``.

    ``test_grid`` (tests only) accepts files holding a smaller (elevation, azimuth, object)
    grid; without it only the official sizes are accepted.
    """

    name = "cars3d"

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        test_grid: tuple[int, ...] | None = None,
    ):
        self.path = Path(path) if path is not None else paths.require("cars3d", root)
        if not self.path.is_dir():
            raise DataFileError(f"Cars3D directory not found: {self.path}")
        self.files = mat_files(self.path)
        self.sizes = _grid(self.path, self.files, test_grid)
        self.reduced = test_grid is not None
        self.pixel_file = cache.ensure_npy(
            self.path, "u8", lambda tmp: _build_pixels(self.files, self.sizes, tmp), related=self.files
        )
        self.images = cache.open_memmap(self.pixel_file)
        self.index = RowIndex(self.sizes, features(self.sizes), source=f"Cars3D ({self.path})")
        if self.images.shape != (int(np.prod(self.sizes)), OUTPUT_SIZE, OUTPUT_SIZE, 3):
            raise DataFileError(f"{self.pixel_file}: cache has shape {self.images.shape}; delete it")

    @property
    def factor_names(self) -> list[str]:
        return list(FACTOR_NAMES)

    @property
    def factors_num_values(self) -> list[int]:
        return list(self.sizes)

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (3, OUTPUT_SIZE, OUTPUT_SIZE)

    @property
    def object_files(self) -> list[str]:
        """File name of each object id (the sorted listing; see the module docstring)."""
        return [p.name for p in self.files]

    @property
    def provenance(self) -> dict[str, Any]:
        return {
            "source": "official",
            "path": str(self.path),
            "sha256": cache.manifest_sha256(self.files),
            # No official checksum is published for the Cars3D archive (docs/reference/data.md §4.7).
            "checksum_pinned": False,
            "object_order": "sorted file names",
            "reduced": self.reduced,
        }

    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        """Images of the factor vectors (no nuisance factor, no draws), float32 ``(n, 3, 64, 64)``."""
        batch = self.images[self.index.rows(np.asarray(factors))].transpose(0, 3, 1, 2)
        return batch.astype(np.float32) / np.float32(255.0)
