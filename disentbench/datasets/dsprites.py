"""dSprites and its variants, read from the official npz (or our rendered stand-in).

docs/reference/data.md §4.2–4.3. Latent factors: shape (3), scale (6), orientation (40), posX (32), posY (32);
the constant colour factor (size 1) is a nuisance that consumes no random draws. A rendered
*reduced* file holds a sub-grid; its factor sizes then come from its metadata.

Pixels: the image array (3.0 GB as uint8) is decoded once per machine into a bit-packed cache
(368 MB, ``cache.py``) that every process memory-maps read-only; a batch is unpacked and cast to
float32 only when it is sampled (the reference also keeps uint8 and casts per sample).

Variants draw their noise exactly as the reference does, in its channels-last layout, and only
then transpose to our channels-first layout, so a ``RandomState`` gives the reference's pixels:
``ColorDSprites`` ``uniform(0.5, 1, (n, 1, 1, 3))``; ``NoisyDSprites`` ``uniform(0, 1, (n, 64, 64, 3))``;
``ScreamDSprites`` per image ``randint(0, H-64)``, ``randint(0, W-64)``, ``uniform(0, 1, 3)``.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from disentbench.datasets import cache, paths
from disentbench.datasets.base import GroundTruthData, SplitDiscreteStateSpace, factors_to_index
from disentbench.errors import DataFileError

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: Official factor grid (docs/reference/data.md §4.2), colour first.
OFFICIAL_SIZES = (1, 3, 6, 40, 32, 32)
LATENT_NAMES = ("shape", "scale", "orientation", "posX", "posY")
#: The latent factors' names, in factor order (what a model is asked to disentangle).
LATENT_FACTOR_NAMES = LATENT_NAMES
#: git blob id of the official npz (docs/reference/data.md §4.7), the one checksum of it that is known.
OFFICIAL_GIT_BLOB_SHA1 = "d98996d3f8ee1550e06b9d4ed78d0beb478910d5"
_ROWS_PER_CHUNK = 8192

# The Scream image (docs/reference/data.md §4.3): PIL thumbnail to fit 350 (width) × 274 (height).
SCREAM_THUMBNAIL = (350, 274)


def _open_member(zf: zipfile.ZipFile, name: str, path: Path) -> Any:
    try:
        return zf.open(name)
    except KeyError:
        raise DataFileError(
            f"{path}: not a dSprites npz; member {name!r} missing (expected imgs, latents_classes, "
            f"latents_values, metadata; found {', '.join(zf.namelist()) or 'nothing'})"
        ) from None


def _read_header(fh: Any, path: Path, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(fh)
        return np.lib.format.read_array_header_2_0(fh)
    except (ValueError, OSError, EOFError) as exc:
        raise DataFileError(f"{path}: member {name}.npy is not a valid .npy array ({exc})") from None


def _read_small_array(zf: zipfile.ZipFile, name: str, path: Path) -> np.ndarray:
    with _open_member(zf, f"{name}.npy", path) as fh:
        try:
            return np.lib.format.read_array(fh, allow_pickle=False)
        except ValueError as exc:
            raise DataFileError(f"{path}: cannot read {name}.npy ({exc})") from None


def read_layout(path: Path, *, use_cache: bool = False) -> dict[str, Any]:
    """Validate the npz's arrays and return its grid: sizes, provenance, metadata (§4.2).

    With ``use_cache`` the result of a successful check is remembered per file version (a small
    JSON file beside the pixel cache), so later processes skip decoding ``latents_classes``.

    Never unpickles: the official file's pickled ``metadata`` is not needed (its grid is the
    official one, checked against the array shapes); our own files store JSON metadata.
    """
    if use_cache:
        layout = cache.cached_json(path, "layout", lambda: read_layout(path))
        return {**layout, "sizes": tuple(layout["sizes"])}
    try:
        with zipfile.ZipFile(path) as zf:
            with _open_member(zf, "imgs.npy", path) as fh:
                shape, fortran, dtype = _read_header(fh, path, "imgs")
            classes = _read_small_array(zf, "latents_classes", path)
            meta: dict[str, Any] | None = None
            with _open_member(zf, "metadata.npy", path) as fh:
                _, _, mdtype = _read_header(fh, path, "metadata")
            if mdtype.kind == "U":
                meta = json.loads(str(_read_small_array(zf, "metadata", path)))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise DataFileError(
            f"{path}: truncated or corrupted dSprites npz ({exc}); delete it and download or render it again"
        ) from None
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}: metadata.npy is not valid JSON ({exc})") from None
    sizes = tuple(int(s) for s in meta["latents_sizes"]) if meta else OFFICIAL_SIZES
    n = int(np.prod(sizes))
    if len(shape) != 3 or shape[1:] != (64, 64) or dtype != np.uint8 or fortran:
        raise DataFileError(
            f"{path}: imgs must be a C-ordered uint8 array of shape ({n}, 64, 64); "
            f"found {dtype} {shape}{' (Fortran order)' if fortran else ''}"
        )
    if shape[0] != n:
        raise DataFileError(f"{path}: imgs has {shape[0]} rows; the factor grid {list(sizes)} needs {n}")
    if classes.shape != (n, 6) or classes.dtype.kind not in "iu":
        raise DataFileError(
            f"{path}: latents_classes must be an integer array of shape ({n}, 6); "
            f"found {classes.dtype} {classes.shape}"
        )
    # Spot-check the storage order: posY fastest (docs/reference/data.md §4.2), over the file's own grid.
    expect = np.stack(np.unravel_index(np.arange(n), sizes), axis=1)
    if meta and "latents_indices" in meta:
        for k, name in enumerate(LATENT_NAMES, start=1):
            expect[:, k] = np.asarray(meta["latents_indices"][name])[expect[:, k]]
    if not np.array_equal(classes, expect):
        raise DataFileError(f"{path}: latents_classes are not in the official order (posY fastest)")
    return {"sizes": sizes, "metadata": meta, "num_images": n}


def _build_packed(path: Path, num_images: int, tmp: Path) -> None:
    """Stream ``imgs`` out of the npz into a bit-packed ``(n, 64, 8)`` uint8 ``.npy`` at ``tmp``."""
    row_bytes = 64 * 64
    try:
        with (
            cache.NpyWriter(tmp, np.uint8, (num_images, 64, 8)) as out,
            zipfile.ZipFile(path) as zf,
            zf.open("imgs.npy") as fh,
        ):
            _read_header(fh, path, "imgs")
            for start in range(0, num_images, _ROWS_PER_CHUNK):
                rows = min(_ROWS_PER_CHUNK, num_images - start)
                buf = fh.read(rows * row_bytes)
                if len(buf) != rows * row_bytes:
                    raise DataFileError(
                        f"{path}: imgs.npy ends after {start * row_bytes + len(buf)} bytes of "
                        f"{num_images * row_bytes} (truncated file); delete it and get it again"
                    )
                chunk = np.frombuffer(buf, dtype=np.uint8).reshape(rows, 64, 64)
                if chunk.max(initial=0) > 1:
                    raise DataFileError(f"{path}: imgs must hold only 0 and 1 (binary masks, §4.2)")
                out.write(np.packbits(chunk, axis=-1))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DataFileError(
            f"{path}: truncated or corrupted dSprites npz ({exc}); delete it and get it again"
        ) from None


class DSpritesImages:
    """The binary masks of one dSprites file, bit-packed and memory-mapped (shared, read-only)."""

    def __init__(self, path: Path):
        self.path = path
        layout = read_layout(path, use_cache=True)
        self.sizes: tuple[int, ...] = layout["sizes"]
        self.metadata: dict[str, Any] | None = layout["metadata"]
        n = layout["num_images"]
        self.cache_file = cache.ensure_npy(path, "packed", lambda tmp: _build_packed(path, n, tmp))
        self.bits = cache.open_memmap(self.cache_file)
        if self.bits.shape != (n, 64, 8) or self.bits.dtype != np.uint8:
            raise DataFileError(f"{self.cache_file}: cache has shape {self.bits.shape}; delete it")

    def masks(self, indices: np.ndarray) -> np.ndarray:
        """uint8 {0,1} masks ``(n, 64, 64)`` of the given rows."""
        return np.unpackbits(self.bits[np.asarray(indices, dtype=np.int64)], axis=-1)

    def provenance(self) -> dict[str, Any]:
        """``{"source": "official"|"rendered", ...}`` (architecture.md, Data)."""
        meta = self.metadata
        if meta and "renderer" in meta:
            return {
                "source": "rendered",
                "path": str(self.path),
                "renderer": meta["renderer"],
                "renderer_version": meta["renderer_version"],
                "render_params": meta.get("render_params", {}),
                "reduced": bool(meta.get("reduced", False)),
            }
        return {
            "source": "official",
            "path": str(self.path),
            "sha256": checksums(self.path)["sha256"],
            "reduced": False,
        }


def checksums(path: Path) -> dict[str, Any]:
    """SHA-256 and git blob id of the file (cached per file version) and whether they match."""

    def compute() -> dict[str, Any]:
        blob = cache.git_blob_sha1_of(path)
        return {
            "sha256": cache.sha256_of(path),
            "git_blob_sha1": blob,
            "verified": blob == OFFICIAL_GIT_BLOB_SHA1,
        }

    return cache.cached_json(path, "checksums", compute)


#: One ``DSpritesImages`` per file version per process (the variants share the same pixels).
_OPEN: dict[tuple[str, str], DSpritesImages] = {}


def open_images(path: Path) -> DSpritesImages:
    """The (shared) memory-mapped masks of ``path``."""
    key = (str(path.resolve()), cache.source_key(path))
    if key not in _OPEN:
        _OPEN[key] = DSpritesImages(path)
    return _OPEN[key]


class DSpritesFull(GroundTruthData):
    """``dsprites_full``: x = the binary mask, one channel (docs/reference/data.md §4.3)."""

    name = "dsprites_full"
    num_channels = 1

    def __init__(
        self, root: str | os.PathLike[str] | None = None, *, path: str | os.PathLike[str] | None = None
    ):
        self.path = Path(path) if path is not None else paths.require("dsprites", root)
        if not self.path.is_file():
            raise DataFileError(f"dSprites file not found: {self.path}")
        self.images = open_images(self.path)
        self.full_sizes = list(self.images.sizes)
        self.state_space = SplitDiscreteStateSpace(self.full_sizes, [1, 2, 3, 4, 5])

    @property
    def factor_names(self) -> list[str]:
        return list(LATENT_NAMES)

    @property
    def factors_num_values(self) -> list[int]:
        return self.full_sizes[1:]

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (self.num_channels, 64, 64)

    @property
    def provenance(self) -> dict[str, Any]:
        return self.images.provenance()

    def masks_from_factors(self, factors: np.ndarray, random_state: np.random.RandomState) -> np.ndarray:
        """float32 masks ``(n, 64, 64)``; draws the nuisance colour factor (size 1: no draw)."""
        full = self.state_space.sample_all_factors(factors, random_state)
        return self.images.masks(factors_to_index(full, self.full_sizes)).astype(np.float32)

    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        return self.masks_from_factors(factors, random_state)[:, None]


class ColorDSprites(DSpritesFull):
    """``color_dsprites``: sprite coloured c ~ U(0.5, 1)³ per image, black background."""

    name = "color_dsprites"
    num_channels = 3

    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        masks = self.masks_from_factors(factors, random_state)
        color = random_state.uniform(0.5, 1, (masks.shape[0], 1, 1, 3))  # reference layout (n,1,1,3)
        color = color.transpose(0, 3, 1, 2).astype(np.float32)  # -> (n, 3, 1, 1)
        return masks[:, None] * color


class NoisyDSprites(DSpritesFull):
    """``noisy_dsprites``: x = min(m + n, 1), n ~ U(0, 1) per pixel and channel."""

    name = "noisy_dsprites"
    num_channels = 3

    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        masks = self.masks_from_factors(factors, random_state)
        noise = random_state.uniform(0, 1, (masks.shape[0], 64, 64, 3))  # reference layout
        noise = noise.transpose(0, 3, 1, 2)
        return np.minimum(masks[:, None] + noise, 1.0).astype(np.float32)


class ScreamDSprites(DSpritesFull):
    """``scream_dsprites``: background = (Scream crop + c)/2, sprite pixels inverted (§4.3)."""

    name = "scream_dsprites"
    num_channels = 3

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        scream_path: str | os.PathLike[str] | None = None,
    ):
        super().__init__(root, path=path)
        self.scream_path = Path(scream_path) if scream_path is not None else paths.require("scream", root)
        self.scream = load_scream(self.scream_path)

    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        masks = self.masks_from_factors(factors, random_state)
        height, width = self.scream.shape[:2]
        out = np.empty((masks.shape[0], 64, 64, 3), dtype=np.float64)  # reference layout
        for i in range(masks.shape[0]):
            row = random_state.randint(0, height - 64)
            col = random_state.randint(0, width - 64)
            background = (
                self.scream[row : row + 64, col : col + 64] + random_state.uniform(0, 1, size=3)
            ) / 2.0
            on = masks[i] == 1
            background[on] = 1.0 - background[on]
            out[i] = background
        return out.transpose(0, 3, 1, 2).astype(np.float32)


def paper_era_thumbnail(img: PILImage, size: tuple[int, int]) -> PILImage:
    """``img`` shrunk to fit ``size`` as the reference's ``Image.thumbnail`` did (Pillow ≤ 6, the
    study's era; docs/reference/data.md §4.3).

    The target size keeps the aspect ratio with Pillow 6's truncating arithmetic; on a JPEG that is
    not yet decoded, ``draft`` makes the decoder itself shrink the image by 1/2, 1/4 or 1/8 (DCT
    scaling) to the smallest size still at least the target; one bicubic resize then reaches it.
    Pillow ≥ 7's ``thumbnail`` drafts to twice the target and resizes in two steps
    (``reducing_gap``), which gives other pixels, hence this function instead of a call to it.
    """
    from PIL import Image

    width, height = img.size
    if width > size[0]:
        height, width = int(max(height * size[0] / width, 1)), int(size[0])
    if height > size[1]:
        width, height = int(max(width * size[1] / height, 1)), int(size[1])
    if (width, height) == img.size:
        return img
    img.draft(None, (width, height))
    return img.resize((width, height), Image.Resampling.BICUBIC)


def load_scream(path: Path) -> np.ndarray:
    """The Scream image as float64 ``(H, W, 3)`` in [0, 1], thumbnailed to fit 350 × 274 (§4.3)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            pixels = np.asarray(paper_era_thumbnail(img, SCREAM_THUMBNAIL).convert("RGB"), np.float64) / 255.0
    except FileNotFoundError:
        raise DataFileError(
            f"Scream image not found: {path}; get it with `disentbench data download scream`"
        ) from None
    except (UnidentifiedImageError, OSError) as exc:
        raise DataFileError(
            f"{path}: not a readable image ({exc}); delete it and run `disentbench data download scream`"
        ) from None
    if pixels.shape[0] <= 64 or pixels.shape[1] <= 64:
        raise DataFileError(
            f"{path}: the Scream image must be larger than 64 × 64 after thumbnailing to "
            f"{SCREAM_THUMBNAIL}; got {pixels.shape[1]} × {pixels.shape[0]}"
        )
    return pixels
