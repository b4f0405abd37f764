"""Offline dSprites renderer: a point-sampling vector renderer fitted to the official frames.

Writes the official file format (docs/reference/data.md §4.2) so the loader cannot tell the stand-in from the
real ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz`` except by its provenance. The shapes and
their placement follow docs/reference/data.md §4.4 exactly:

* pixel (column i, row j) is on iff its centre (i + 0.5, j + 0.5) lies inside the shape;
* sprite centre (16 + 32·posX, 16 + 32·posY) px, posX, posY ∈ {k/31};
* local coordinates u = (dx cos θ − dy sin θ)/s, v = (dx sin θ + dy cos θ)/s;
* square |u|, |v| < 9.6; ellipse (u/12.77)² + (v/7.21)² < 1; heart = even-odd test against a
  polygon of the heart curve (``HEART_VERTICES`` vertices).

Speed: for one (shape, scale, orientation) all 32 × 32 positions share one evaluation on the
separable grid of every x offset × every y offset (posX, column) × (posY, row), which is then a
pure reshape into images. The heart uses a scanline even-odd test (polygon rotated into pixel
space, crossings per row), which is the classic PNPOLY test evaluated row by row.

Our own files store ``metadata`` as a JSON string (``np.str_``) so that loading them needs no
pickle; the loader still reads the official, pickled metadata.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
import os
import time
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from disentbench.io import atomic_path

log = logging.getLogger(__name__)

RENDERER_NAME = "disentbench.dsprites_point_sampler"
#: Bump whenever a change to this module can change a pixel.
RENDERER_VERSION = "1"

FILE_NAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
IMAGE_SIZE = 64

#: The full factor grid of the official file (docs/reference/data.md §4.2), colour first.
LATENT_NAMES = ("color", "shape", "scale", "orientation", "posX", "posY")
FULL_SIZES = (1, 3, 6, 40, 32, 32)
SHAPE_NAMES = ("square", "ellipse", "heart")
SCALE_VALUES = np.array([0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
ORIENTATION_VALUES = np.linspace(0.0, 2.0 * np.pi, 40)
POSITION_VALUES = np.linspace(0.0, 1.0, 32)

#: Shape constants in local pixel units at scale 1 (docs/reference/data.md §4.4).
SQUARE_HALF_SIDE = 9.60
ELLIPSE_SEMI_AXES = (12.77, 7.21)
HEART_VERTICES = 200
HEART_HALF_WIDTH = 9.6
HEART_V_SCALE = 0.66383
HEART_V_SHIFT = -1.44

#: Reduced grid (``reduced=True``): every 4th orientation and every 4th position, all shapes
#: and scales -> 3 × 6 × 10 × 8 × 8 = 11,520 images, each identical to the full set's image.
REDUCED_STEPS = {"shape": 1, "scale": 1, "orientation": 4, "posX": 4, "posY": 4}


def heart_polygon(num_vertices: int = HEART_VERTICES) -> np.ndarray:
    """Heart-curve polygon in local pixel units at scale 1, ``(num_vertices, 2)`` of ``(u, v)``.

    t ∈ [0, 2π): u = 9.6 sin³t, v = −0.66383 (13 cos t − 5 cos 2t − 2 cos 3t − cos 4t) − 1.44
    (docs/reference/data.md §4.4; y down, so the lobes are on top and the tip points down).
    """
    t = np.arange(num_vertices) * (2.0 * np.pi / num_vertices)
    u = HEART_HALF_WIDTH * np.sin(t) ** 3
    v = -HEART_V_SCALE * (13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return np.stack([u, v + HEART_V_SHIFT], axis=1)


_HEART = heart_polygon()


def inside_grid(shape: int, scale: float, theta: float, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Which points of the grid ``xs × ys`` of offsets from the sprite centre are inside.

    ``xs``/``ys`` are 1-D pixel offsets (x right, y down) of pixel centres from the sprite centre;
    returns bool ``(len(ys), len(xs))``. Only the bounding box of the sprite is evaluated.
    """
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    out = np.zeros((ys.size, xs.size), dtype=bool)
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    if shape == 2:
        # Polygon in pixel-offset space: d = s·Rᵀ(u, v), the inverse of the local transform.
        u, v = _HEART[:, 0], _HEART[:, 1]
        px = scale * (u * cos_t + v * sin_t)
        py = scale * (-u * sin_t + v * cos_t)
        radius_x = radius_y = None
        lo_x, hi_x, lo_y, hi_y = px.min(), px.max(), py.min(), py.max()
    else:
        half = (SQUARE_HALF_SIDE, SQUARE_HALF_SIDE) if shape == 0 else ELLIPSE_SEMI_AXES
        radius_x = radius_y = scale * math.hypot(*half)
        lo_x, hi_x, lo_y, hi_y = -radius_x, radius_x, -radius_y, radius_y
    cols = np.nonzero((xs > lo_x - 1e-9) & (xs < hi_x + 1e-9))[0]
    rows = np.nonzero((ys > lo_y - 1e-9) & (ys < hi_y + 1e-9))[0]
    if cols.size == 0 or rows.size == 0:
        return out
    dx = xs[cols][None, :]
    dy = ys[rows][:, None]
    if shape == 2:
        sub = _scanline_even_odd(px, py, xs[cols], ys[rows])
    else:
        lu = (dx * cos_t - dy * sin_t) / scale
        lv = (dx * sin_t + dy * cos_t) / scale
        if shape == 0:
            sub = (np.abs(lu) < SQUARE_HALF_SIDE) & (np.abs(lv) < SQUARE_HALF_SIDE)
        elif shape == 1:
            a, b = ELLIPSE_SEMI_AXES
            sub = (lu / a) ** 2 + (lv / b) ** 2 < 1.0
        else:
            raise ValueError(f"shape index must be 0, 1 or 2, got {shape}")
    out[np.ix_(rows, cols)] = sub
    return out


def _scanline_even_odd(px: np.ndarray, py: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon test for the grid ``xs × ys`` (PNPOLY, evaluated per row).

    A point is inside iff an odd number of polygon edges straddling its row cross the row to the
    right of the point; the crossings of each row are computed once and shared by all columns.
    """
    ax, ay = px, py
    bx, by = np.roll(px, -1), np.roll(py, -1)
    yy = ys[:, None]
    straddle = (ay[None, :] > yy) != (by[None, :] > yy)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = ax[None, :] + (yy - ay[None, :]) * (bx - ax)[None, :] / (by - ay)[None, :]
    cross = np.where(straddle, cross, -np.inf)
    # Keep only the columns that ever hold a crossing (a heart row crosses at most a few edges).
    count = straddle.sum(axis=1)
    width = int(count.max()) if count.size else 0
    if width == 0:
        return np.zeros((ys.size, xs.size), dtype=bool)
    cross = -np.sort(-cross, axis=1)[:, :width]
    parity = np.zeros((ys.size, xs.size), dtype=np.int8)
    for k in range(width):
        parity ^= (xs[None, :] < cross[:, k : k + 1]).astype(np.int8)
    return parity.astype(bool)


def _pixel_offsets(position_indices: np.ndarray) -> np.ndarray:
    """Offsets of the 64 pixel centres from the sprite centre, ``(len(positions), 64)``."""
    centres = 16.0 + 32.0 * POSITION_VALUES[np.asarray(position_indices)]
    return (np.arange(IMAGE_SIZE) + 0.5)[None, :] - centres[:, None]


def render_block(
    shape: int,
    scale_index: int,
    orientation_index: int,
    posx_indices: Sequence[int],
    posy_indices: Sequence[int],
) -> np.ndarray:
    """All images of one (shape, scale, orientation): uint8 {0,1} ``(nx·ny, 64, 64)``, posY fastest."""
    xs = _pixel_offsets(np.asarray(posx_indices))  # (nx, 64): column offsets
    ys = _pixel_offsets(np.asarray(posy_indices))  # (ny, 64): row offsets
    grid = inside_grid(
        shape, SCALE_VALUES[scale_index], ORIENTATION_VALUES[orientation_index], xs.ravel(), ys.ravel()
    )
    nx, ny = xs.shape[0], ys.shape[0]
    # grid[(posY, row), (posX, col)] -> images[posX, posY, row, col]
    images = grid.reshape(ny, IMAGE_SIZE, nx, IMAGE_SIZE).transpose(2, 0, 1, 3)
    return images.reshape(nx * ny, IMAGE_SIZE, IMAGE_SIZE).astype(np.uint8)


def render_factors(factors: np.ndarray) -> np.ndarray:
    """Render images for latent factor indices ``(n, 5)`` = (shape, scale, orientation, posX, posY).

    Returns uint8 {0,1} ``(n, 64, 64)``; used by the fidelity test against the official frames.
    """
    factors = np.asarray(factors, dtype=np.int64)
    if factors.ndim != 2 or factors.shape[1] != 5:
        raise ValueError(f"factors must have shape (n, 5), got {factors.shape}")
    sizes = np.array(FULL_SIZES[1:])
    if np.any(factors < 0) or np.any(factors >= sizes):
        raise ValueError(f"factor indices out of range for sizes {sizes.tolist()}")
    out = np.empty((factors.shape[0], IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    for n, (shape, scale, orient, posx, posy) in enumerate(factors):
        out[n] = render_block(int(shape), int(scale), int(orient), [posx], [posy])[0]
    return out


def grid_indices(reduced: bool) -> dict[str, np.ndarray]:
    """Factor indices (into the full grid) that a full or reduced render covers."""
    steps = REDUCED_STEPS if reduced else dict.fromkeys(REDUCED_STEPS, 1)
    sizes = dict(zip(LATENT_NAMES[1:], FULL_SIZES[1:], strict=True))
    return {name: np.arange(0, sizes[name], steps[name]) for name in LATENT_NAMES[1:]}


def _render_task(args: tuple[int, int, np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Worker: all orientations of one (shape, scale), bit-packed to cut inter-process traffic."""
    shape, scale, orientations, posx, posy = args
    blocks = [render_block(shape, scale, int(o), posx, posy) for o in orientations]
    return np.packbits(np.concatenate(blocks), axis=-1)


def _npy_header(array_shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    """The ``.npy`` version-1 header for a C-ordered array (so the body can be streamed)."""
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf,
        {
            "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
            "fortran_order": False,
            "shape": array_shape,
        },
    )
    return buf.getvalue()


def render_dsprites(
    path: str | os.PathLike[str],
    *,
    reduced: bool = False,
    workers: int | None = None,
    progress: bool = True,
) -> Path:
    """Render dSprites and write it in the official npz layout at ``path`` (atomically).

    ``path`` may be the file or a data root (then ``<root>/dsprites/<official name>``).
    ``reduced`` renders the grid of ``REDUCED_STEPS`` (a subset of the full grid).
    ``workers`` processes render in parallel (default: the CPU count).
    """
    target = Path(path)
    if target.suffix != ".npz":
        target = target / "dsprites" / FILE_NAME
    idx = grid_indices(reduced)
    sizes = [1] + [len(idx[name]) for name in LATENT_NAMES[1:]]
    total = int(np.prod(sizes))
    workers = max(1, int(workers or os.cpu_count() or 1))
    tasks = [(s, c, idx["orientation"], idx["posX"], idx["posY"]) for s in idx["shape"] for c in idx["scale"]]
    started = time.perf_counter()
    classes, values = _latents(idx)
    metadata = _metadata(idx, reduced)
    bar = _progress_bar(total, progress)
    with atomic_path(target) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            with zf.open("imgs.npy", "w", force_zip64=True) as fh:
                fh.write(_npy_header((total, IMAGE_SIZE, IMAGE_SIZE), np.dtype(np.uint8)))
                for packed in _map(tasks, workers):
                    for start in range(0, packed.shape[0], 4096):  # bounded memory: 16 MB at a time
                        fh.write(np.unpackbits(packed[start : start + 4096], axis=-1).tobytes())
                    bar.update(packed.shape[0])
            for name, array in (
                ("latents_classes", classes),
                ("latents_values", values),
                ("metadata", np.array(json.dumps(metadata))),
            ):
                with zf.open(f"{name}.npy", "w") as fh:
                    np.lib.format.write_array(fh, array, allow_pickle=False)
    bar.close()
    log.info(
        "rendered %s dSprites (%d images) to %s in %.1f s",
        "reduced" if reduced else "full",
        total,
        target,
        time.perf_counter() - started,
    )
    return target


def _map(tasks: list[Any], workers: int) -> Iterator[np.ndarray]:
    """Results of ``_render_task`` in task order, from a process pool when ``workers > 1``."""
    if workers == 1 or len(tasks) == 1:
        yield from map(_render_task, tasks)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx) as pool:
        yield from pool.map(_render_task, tasks)


def _latents(idx: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``latents_classes`` (int64) and ``latents_values`` (float64), posY fastest (§4.2)."""
    axes = [np.zeros(1, dtype=np.int64)] + [idx[name] for name in LATENT_NAMES[1:]]
    mesh = np.meshgrid(*axes, indexing="ij")
    classes = np.stack([m.ravel() for m in mesh], axis=1).astype(np.int64)
    tables = [
        np.ones(1),
        np.array([1.0, 2.0, 3.0]),
        SCALE_VALUES,
        ORIENTATION_VALUES,
        POSITION_VALUES,
        POSITION_VALUES,
    ]
    values = np.stack([tables[k][classes[:, k]] for k in range(6)], axis=1)
    return classes, values


def _metadata(idx: dict[str, np.ndarray], reduced: bool) -> dict[str, Any]:
    """The official metadata keys plus the renderer's provenance (JSON-serialisable)."""
    tables = {
        "color": [1.0],
        "shape": [1.0, 2.0, 3.0],
        "scale": SCALE_VALUES.tolist(),
        "orientation": ORIENTATION_VALUES.tolist(),
        "posX": POSITION_VALUES.tolist(),
        "posY": POSITION_VALUES.tolist(),
    }
    possible = {"color": [1.0]}
    for name in LATENT_NAMES[1:]:
        possible[name] = [tables[name][i] for i in idx[name]]
    return {
        "title": "dSprites dataset (disentbench offline rendering)",
        "description": "Offline stand-in for the official dSprites file, rendered by point sampling "
        "(disentbench docs/reference/data.md §4.4).",
        "version": 1,
        "latents_names": list(LATENT_NAMES),
        "latents_sizes": [1] + [len(idx[name]) for name in LATENT_NAMES[1:]],
        "latents_possible_values": possible,
        "latents_indices": {name: idx[name].tolist() for name in LATENT_NAMES[1:]},
        "renderer": RENDERER_NAME,
        "renderer_version": RENDERER_VERSION,
        "render_params": {
            "heart_vertices": HEART_VERTICES,
            "square_half_side": SQUARE_HALF_SIDE,
            "ellipse_semi_axes": list(ELLIPSE_SEMI_AXES),
            "grid_steps": REDUCED_STEPS if reduced else dict.fromkeys(REDUCED_STEPS, 1),
        },
        "reduced": bool(reduced),
    }


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, enabled: bool) -> Any:
    """A tqdm bar on stderr, or a no-op."""
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="img", desc="dSprites", unit_scale=True)
