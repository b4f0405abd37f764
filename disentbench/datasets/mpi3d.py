"""MPI3D (``mpi3d_toy``, ``mpi3d_realistic``, ``mpi3d_real``) from its npz (docs/reference/data.md §4.6).

File: ``<variant>/<variant>.npz`` with one array ``images``, uint8 RGB ``(N, 64, 64, 3)`` in
factor order (last factor fastest; also accepted already shaped ``(*grid, 64, 64, 3)``).
Factors, all latent, no nuisance, no noise: object_color, object_shape, object_size (2),
camera_height (3), background_color (3), first_dof (40), second_dof (40).

The 4×4 vs 6×6 question (docs/reference/data.md §4.6; docs/reference/analyses.md §4): the
reference hard-codes colour and shape sizes 4×4 for toy and realistic, while the released files
hold 6 colours × 6 shapes (1,036,800 images; the 4×4 grid has 460,800). Mapping a 6×6 file with
4×4 place values would return the wrong image for almost every factor vector, so the grid is
read from the file: 460,800 images -> [4, 4, 2, 3, 3, 40, 40], 1,036,800 -> [6, 6, 2, 3, 3, 40,
40], anything else is an error. ``provenance["grid"]`` records which.

Memory: the pixels stay uint8 (12.7 GB for 6×6) and are divided by 255 per batch (the reference
divides at sampling time too). An ``images`` member stored uncompressed (``np.savez``) is
memory-mapped inside the npz itself; a compressed one is decoded once per machine into a raw
uint8 cache (``cache.py``) that every process maps read-only.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from disentbench.datasets import cache, paths
from disentbench.datasets.base import GroundTruthData, factors_to_index
from disentbench.errors import DataFileError

FACTOR_NAMES = (
    "object_color",
    "object_shape",
    "object_size",
    "camera_height",
    "background_color",
    "first_dof",
    "second_dof",
)
#: The latent factors' names, in factor order (what a model is asked to disentangle).
LATENT_FACTOR_NAMES = FACTOR_NAMES
#: The two grids the reference and the released files use (docs/reference/data.md §4.6).
GRIDS: tuple[tuple[int, ...], ...] = ((4, 4, 2, 3, 3, 40, 40), (6, 6, 2, 3, 3, 40, 40))
VARIANTS = ("mpi3d_toy", "mpi3d_realistic", "mpi3d_real")
_MEMBER = "images.npy"
_ROWS_PER_CHUNK = 4096
_IMAGE_SHAPE = (64, 64, 3)


def read_npy_header(fh: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype of the ``.npy`` stream ``fh``, left at the first data byte."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    return np.lib.format.read_array_header_2_0(fh)


def _grid_for(path: Path, num_images: int, test_grid: tuple[int, ...] | None) -> tuple[int, ...]:
    if test_grid is not None:
        if int(np.prod(test_grid)) != num_images:
            raise DataFileError(f"{path}: {num_images} images do not fill the test grid {list(test_grid)}")
        return tuple(test_grid)
    for grid in GRIDS:
        if int(np.prod(grid)) == num_images:
            return grid
    expected = " or ".join(f"{int(np.prod(g)):,} ({list(g)})" for g in GRIDS)
    raise DataFileError(f"{path}: 'images' holds {num_images:,} images; an MPI3D file holds {expected}")


def read_layout(path: Path, *, test_grid: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Validate the npz's ``images`` member; return its grid and where its pixels are.

    ``offset`` is the byte offset of the pixels inside the npz when the member is stored
    uncompressed (the file can then be memory-mapped), else ``None``.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            try:
                info = zf.getinfo(_MEMBER)
            except KeyError:
                found = ", ".join(zf.namelist()) or "nothing"
                raise DataFileError(
                    f"{path}: not an MPI3D npz; array 'images' missing (found: {found})"
                ) from None
            with zf.open(info) as fh:
                shape, fortran, dtype = read_npy_header(fh)
                header_bytes = fh.tell()
            offset = None
            if info.compress_type == zipfile.ZIP_STORED:
                with open(path, "rb") as raw:
                    raw.seek(info.header_offset)
                    local = raw.read(30)
                if len(local) != 30 or local[:4] != b"PK\x03\x04":
                    raise DataFileError(f"{path}: corrupted zip local header of {_MEMBER}")
                name_len, extra_len = struct.unpack("<HH", local[26:30])
                offset = info.header_offset + 30 + name_len + extra_len + header_bytes
    except DataFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise DataFileError(
            f"{path}: truncated or corrupted MPI3D npz ({exc}); delete it and download it again"
        ) from None
    if dtype != np.uint8 or fortran or len(shape) < 4 or tuple(shape[-3:]) != _IMAGE_SHAPE:
        raise DataFileError(
            f"{path}: 'images' must be a C-ordered uint8 array of shape (N, 64, 64, 3); "
            f"found {dtype} {shape}{' (Fortran order)' if fortran else ''}"
        )
    num_images = int(np.prod(shape[:-3]))
    grid = _grid_for(path, num_images, test_grid)
    if len(shape) > 4 and tuple(shape[:-3]) != grid:
        raise DataFileError(f"{path}: 'images' has the grid shape {list(shape[:-3])}; expected {list(grid)}")
    if offset is not None and path.stat().st_size < offset + num_images * int(np.prod(_IMAGE_SHAPE)):
        raise DataFileError(f"{path}: 'images' is cut short (truncated file); delete it and download again")
    return {"num_images": num_images, "grid": grid, "offset": offset}


def _build_raw(path: Path, num_images: int, tmp: Path) -> None:
    """Decompress ``images`` into a raw uint8 ``(n, 64, 64, 3)`` ``.npy`` at ``tmp``."""
    row_bytes = int(np.prod(_IMAGE_SHAPE))
    try:
        with (
            zipfile.ZipFile(path) as zf,
            zf.open(_MEMBER) as fh,
            cache.NpyWriter(tmp, np.uint8, (num_images, *_IMAGE_SHAPE)) as out,
        ):
            read_npy_header(fh)
            for start in range(0, num_images, _ROWS_PER_CHUNK):
                rows = min(_ROWS_PER_CHUNK, num_images - start)
                buf = fh.read(rows * row_bytes)
                if len(buf) != rows * row_bytes:
                    raise DataFileError(f"{path}: 'images' ends early (truncated file); download it again")
                out.write(np.frombuffer(buf, dtype=np.uint8).reshape(rows, *_IMAGE_SHAPE))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise DataFileError(
            f"{path}: truncated or corrupted MPI3D npz ({exc}); delete it and download it again"
        ) from None


class MPI3D(GroundTruthData):
    """One MPI3D variant: seven latent factors, RGB observations ``(3, 64, 64)``.

    ``test_grid`` (tests only) accepts a file holding a smaller grid; without it only the two
    official grids are accepted, and ``provenance["reduced"]`` says when it was used.
    """

    name = "mpi3d_toy"

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        test_grid: tuple[int, ...] | None = None,
    ):
        self.path = Path(path) if path is not None else paths.require(self.name, root)
        if not self.path.is_file():
            raise DataFileError(f"{self.name} file not found: {self.path}")
        layout = read_layout(self.path, test_grid=test_grid)
        self.sizes: tuple[int, ...] = layout["grid"]
        self.reduced = test_grid is not None
        n = layout["num_images"]
        self.pixel_file, self.images = cache.map_pixels(
            self.path, layout["offset"], (n, *_IMAGE_SHAPE), lambda tmp: _build_raw(self.path, n, tmp)
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
        sums = cache.cached_json(self.path, "checksums", lambda: {"sha256": cache.sha256_of(self.path)})
        return {
            "source": "official",
            "path": str(self.path),
            "sha256": sums["sha256"],
            # No official checksum is published for the MPI3D files (docs/reference/data.md §4.7).
            "checksum_pinned": False,
            "grid": list(self.sizes),
            "reduced": self.reduced,
        }

    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        """Images of the factor vectors (no nuisance factor, no draws), float32 ``(n, 3, 64, 64)``."""
        indices = factors_to_index(np.asarray(factors), self.sizes)
        batch = self.images[indices].transpose(0, 3, 1, 2)
        return batch.astype(np.float32) / np.float32(255.0)


class MPI3DToy(MPI3D):
    """``mpi3d_toy``: simplistic rendered images."""

    name = "mpi3d_toy"


class MPI3DRealistic(MPI3D):
    """``mpi3d_realistic``: realistic rendered images."""

    name = "mpi3d_realistic"


class MPI3DReal(MPI3D):
    """``mpi3d_real``: real-world camera images."""

    name = "mpi3d_real"
