"""SmallNORB from its six binary-matrix files (docs/reference/data.md §4.6).

Files (``small_norb/`` under the data root, the reference's layout):
``smallnorb-5x46789x9x18x6x2x96x96-training-{dat,cat,info}.mat`` and
``smallnorb-5x01235x9x18x6x2x96x96-testing-{dat,cat,info}.mat`` (gunzipped).

Binary-matrix format: little-endian int32 ``magic``, int32 ``ndim``, then ``max(3, ndim)``
int32 dimensions (unused ones are 1), then the data in C order. Magic numbers: 507333717
bytes, 507333716 int32, 507333713 float32, 507333715 float64, 507333718 int16.
``dat`` (24300, 2, 96, 96) bytes (two cameras), ``cat`` (24300,) int32 category,
``info`` (24300, 4) int32 instance, elevation, azimuth (0, 2, …, 34), lighting.

Preprocessing, as the reference does it: the first camera's image ``dat[:, 0]``, resized from
96×96 to 64×64 with PIL's Lanczos (``ANTIALIAS``) filter, divided by 255; training then testing
rows concatenated (48,600 images). Features = [category (5), instance (10), elevation (9),
azimuth/2 (18), lighting (6)]; ``instance`` is a nuisance factor, re-drawn at every sampling
(``SplitDiscreteStateSpace``), so the latent factors are category, elevation, azimuth, lighting.
The stored order is the files' order, not the factor order: a ``RowIndex`` built from the
feature columns maps factor vectors to rows (docs/reference/data.md §4.1).

The reference reads the pixel bytes as **int8**, which makes PIL treat each image as a 32-bit
integer image (mode ``I``, values 0..255 unchanged): its Lanczos resize then neither rounds to
8 bits between the two passes nor clips the filter's overshoot, so a few pixels near strong
edges fall slightly below 0 or above 255. We resize the same way and keep those values (the
cache is int16, 398 MB), so observations are the reference's — including the rare values just
outside [0, 1].

Memory: decoded once per machine into an int16 cache file that every process maps read-only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from disentbench.datasets import cache, paths
from disentbench.datasets.base import GroundTruthData, SplitDiscreteStateSpace
from disentbench.datasets.lookup import RowIndex
from disentbench.errors import DataFileError

#: All factors in feature order; ``instance`` (index 1) is the nuisance factor.
FEATURE_NAMES = ("category", "instance", "elevation", "azimuth", "lighting")
OFFICIAL_SIZES = (5, 10, 9, 18, 6)
LATENT_INDICES = (0, 2, 3, 4)
#: The latent factors' names, in factor order (what a model is asked to disentangle).
LATENT_FACTOR_NAMES = tuple(FEATURE_NAMES[i] for i in LATENT_INDICES)
#: Images per file chunk (training and testing) in the official files.
OFFICIAL_CHUNK_ROWS = 24300

#: Magic number -> element type of the binary-matrix format.
MAGIC_DTYPES: dict[int, np.dtype] = {
    507333717: np.dtype(np.uint8),
    507333716: np.dtype("<i4"),
    507333713: np.dtype("<f4"),
    507333715: np.dtype("<f8"),
    507333718: np.dtype("<i2"),
}
MAGIC_BYTE, MAGIC_INT32 = 507333717, 507333716
IMAGE_SIZE, OUTPUT_SIZE = 96, 64
_ROWS_PER_CHUNK = 1024


def read_header(path: Path) -> tuple[np.dtype, tuple[int, ...], int]:
    """``(dtype, dims, data offset)`` of a binary-matrix file, checking its size matches."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise DataFileError(f"{path}: too short for a binary-matrix header (truncated file)")
            magic, ndim = (int(v) for v in np.frombuffer(head, "<i4"))
            if magic not in MAGIC_DTYPES:
                raise DataFileError(
                    f"{path}: magic number {magic} is not a binary-matrix magic "
                    f"({', '.join(map(str, MAGIC_DTYPES))}); not a SmallNORB .mat file"
                )
            if not 1 <= ndim <= 16:
                raise DataFileError(f"{path}: implausible number of dimensions {ndim}")
            stored = max(3, ndim)
            raw = fh.read(4 * stored)
            if len(raw) < 4 * stored:
                raise DataFileError(f"{path}: header cut short (truncated file)")
            dims = tuple(int(v) for v in np.frombuffer(raw, "<i4")[:ndim])
        size = path.stat().st_size
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read ({exc})") from None
    if any(d < 0 for d in dims):
        raise DataFileError(f"{path}: negative dimension in {list(dims)}")
    dtype = MAGIC_DTYPES[magic]
    offset = 8 + 4 * max(3, ndim)
    expected = offset + int(np.prod(dims)) * dtype.itemsize
    if size != expected:
        state = "truncated" if size < expected else "has trailing bytes"
        raise DataFileError(
            f"{path}: {size} bytes, but its header ({dtype}, {list(dims)}) needs {expected}; the file {state}"
        )
    return dtype, dims, offset


def read_matrix(path: Path) -> np.ndarray:
    """A (small) binary-matrix file as an array (``cat`` and ``info``)."""
    dtype, dims, offset = read_header(path)
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = np.frombuffer(fh.read(), dtype=dtype)
    return data.reshape(dims)


def _chunk_files(path: Path) -> list[tuple[Path, Path, Path]]:
    files = paths.part_paths("smallnorb", path)
    return [tuple(files[i : i + 3]) for i in (0, 3)]  # type: ignore[misc]


def read_layout(path: Path, *, test_grid: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Validate the six files; return the feature columns (file order) and the factor grid."""
    sizes = tuple(test_grid) if test_grid is not None else OFFICIAL_SIZES
    features, dats = [], []
    for dat, cat, info in _chunk_files(path):
        dtype, dims, offset = read_header(dat)
        if dtype != np.uint8 or len(dims) != 4 or dims[1:] != (2, IMAGE_SIZE, IMAGE_SIZE):
            raise DataFileError(
                f"{dat}: expected a byte matrix (magic {MAGIC_BYTE}) of shape (N, 2, 96, 96); "
                f"found {dtype} {list(dims)}"
            )
        n = dims[0]
        if test_grid is None and n != OFFICIAL_CHUNK_ROWS:
            raise DataFileError(f"{dat}: {n} images; the official file has {OFFICIAL_CHUNK_ROWS}")
        labels = read_matrix(cat)
        table = read_matrix(info)
        if labels.dtype != np.dtype("<i4") or labels.shape != (n,):
            raise DataFileError(
                f"{cat}: expected an int32 matrix (magic {MAGIC_INT32}) of shape ({n},); "
                f"found {labels.dtype} {list(labels.shape)}"
            )
        if table.dtype != np.dtype("<i4") or table.shape != (n, 4):
            raise DataFileError(
                f"{info}: expected an int32 matrix (magic {MAGIC_INT32}) of shape ({n}, 4); "
                f"found {table.dtype} {list(table.shape)}"
            )
        if np.any(table[:, 2] % 2):
            raise DataFileError(f"{info}: azimuth values must be even (0, 2, …, 34)")
        chunk = np.column_stack([labels, table]).astype(np.int64)
        chunk[:, 3] //= 2  # azimuth 0, 2, …, 34 -> index 0..17 (docs/reference/data.md §4.6)
        features.append(chunk)
        dats.append((dat, offset, n))
    columns = np.concatenate(features, axis=0)
    names = ", ".join(p.name for triple in _chunk_files(path) for p in triple)
    index = RowIndex(sizes, columns, source=f"SmallNORB ({names})")
    return {"sizes": sizes, "features": columns, "index": index, "dats": dats}


def resize_like_reference(image: np.ndarray) -> np.ndarray:
    """96×96 bytes -> 64×64 int32, as the reference resizes (PIL mode ``I``, Lanczos, no clip)."""
    from PIL import Image

    picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.int32))  # int32 -> mode "I"
    return np.asarray(picture.resize((OUTPUT_SIZE, OUTPUT_SIZE), Image.LANCZOS), dtype=np.int32)


def _build_pixels(dats: list[tuple[Path, int, int]], tmp: Path) -> None:
    """Resize the first camera's images of both chunks into an int16 ``(n, 64, 64)`` ``.npy``."""
    total = sum(n for _, _, n in dats)
    with cache.NpyWriter(tmp, np.int16, (total, OUTPUT_SIZE, OUTPUT_SIZE)) as out:
        for dat, offset, n in dats:
            shape = (n, 2, IMAGE_SIZE, IMAGE_SIZE)
            pixels = np.memmap(dat, dtype=np.uint8, mode="r", offset=offset, shape=shape)
            for start in range(0, n, _ROWS_PER_CHUNK):
                stop = min(n, start + _ROWS_PER_CHUNK)
                block = np.stack([resize_like_reference(pixels[i, 0]) for i in range(start, stop)])
                out.write(block.astype(np.int16))
            del pixels


class SmallNORB(GroundTruthData):
    """``smallnorb``: category, elevation, azimuth, lighting; grey observations ``(1, 64, 64)``.

    ``test_grid`` (tests only) accepts files holding a smaller grid of all five factors; without
    it only the official files' sizes are accepted.
    """

    name = "smallnorb"

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        test_grid: tuple[int, ...] | None = None,
    ):
        self.path = Path(path) if path is not None else paths.require("smallnorb", root)
        self.files = paths.part_paths("smallnorb", self.path)
        layout = read_layout(self.path, test_grid=test_grid)
        self.full_sizes: list[int] = list(layout["sizes"])
        self.index: RowIndex = layout["index"]
        self.reduced = test_grid is not None
        self.state_space = SplitDiscreteStateSpace(self.full_sizes, LATENT_INDICES)
        dats = layout["dats"]
        self.pixel_file = cache.ensure_npy(
            self.path, "i16", lambda tmp: _build_pixels(dats, tmp), related=self.files[1:]
        )
        self.images = cache.open_memmap(self.pixel_file)
        n = sum(rows for _, _, rows in dats)
        if self.images.shape != (n, OUTPUT_SIZE, OUTPUT_SIZE) or self.images.dtype != np.int16:
            raise DataFileError(f"{self.pixel_file}: cache has shape {self.images.shape}; delete it")

    @property
    def factor_names(self) -> list[str]:
        return [FEATURE_NAMES[i] for i in LATENT_INDICES]

    @property
    def factors_num_values(self) -> list[int]:
        return [self.full_sizes[i] for i in LATENT_INDICES]

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (1, OUTPUT_SIZE, OUTPUT_SIZE)

    @property
    def provenance(self) -> dict[str, Any]:
        return {
            "source": "official",
            "path": str(self.path.parent),
            "sha256": cache.manifest_sha256(self.files),
            # No official checksum is published for the SmallNORB files (docs/reference/data.md §4.7).
            "checksum_pinned": False,
            "reduced": self.reduced,
        }

    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        """Images of the latent factors with a freshly drawn instance: float32 ``(n, 1, 64, 64)``."""
        full = self.state_space.sample_all_factors(factors, random_state)
        batch = self.images[self.index.rows(full)]
        return (batch.astype(np.float32) / np.float32(255.0))[:, None]
