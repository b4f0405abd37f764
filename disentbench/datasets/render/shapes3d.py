"""Offline stand-in for the official Shapes3D file ``3dshapes.h5`` (docs/reference/data.md §4.5).

The official file cannot be downloaded everywhere; this renderer writes a file with the same
layout so the loader, the trainer and the metrics run unchanged:

* ``images``: ``(480000, 64, 64, 3)`` uint8 RGB, gzip-compressed chunks of 32 images;
* ``labels``: ``(480000, 6)`` float64, the official factor **values** (not indices);
* storage order floor_hue, wall_hue, object_hue, scale, shape, orientation, orientation fastest,
  so row = 48000·floor + 4800·wall + 480·object + 60·scale + 15·shape + orientation.

The pixels come from a small ray caster (:mod:`.shapes3d_scene`) fitted to the official GIF
frames; it is a look-alike, not the MuJoCo scene (``docs/shapes3d_renderer.md``). The file says so
in its attributes (:data:`ATTRS` names them) so a loader can report the provenance:
``renderer`` (repeated as ``disentbench_renderer``), ``renderer_version``, ``render_params``
(JSON), ``reduced`` (bool), ``factor_names``, ``factor_sizes``, ``factor_values`` (JSON), ``stand_in``.

Speed: geometry depends only on (scale, shape, orientation), 480 configurations. Phase 1 ray-casts
those once into recolouring maps; phase 2 colours the 1000 hue combinations of each with a
vectorised linear blend, and worker processes compress the chunks, which the parent writes in
order with ``write_direct_chunk`` (so the output is byte-identical for any worker count).

Reduced grid (``reduced=True``, for tests and quick runs): hues {0.0, 0.3, 0.6} for each of the
three hue factors, scales {0.75, 1.25}, all 4 shapes, orientations {-30, 0, 30} degrees:
3·3·3·2·4·3 = 648 images, same storage order, the sizes and values written to the attributes.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import multiprocessing
import os
import sys
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from disentbench.datasets.render.shapes3d_scene import SceneParams, ShadingMaps, hsv_rgb, shading_maps
from disentbench.errors import UserError
from disentbench.io import atomic_path

RENDERER_NAME = "disentbench.shapes3d_raycast"
#: Bump whenever the pixels change for the same parameters.
RENDERER_VERSION = "1.0"

FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
#: Official factor values (docs/reference/data.md §4.5), in storage order.
FULL_VALUES: dict[str, np.ndarray] = {
    "floor_hue": np.arange(10) / 10.0,
    "wall_hue": np.arange(10) / 10.0,
    "object_hue": np.arange(10) / 10.0,
    "scale": np.linspace(0.75, 1.25, 8),
    "shape": np.arange(4, dtype=np.float64),
    "orientation": np.linspace(-30.0, 30.0, 15),
}
#: Indices into FULL_VALUES kept by the reduced grid.
REDUCED_INDICES: dict[str, tuple[int, ...]] = {
    "floor_hue": (0, 3, 6),
    "wall_hue": (0, 3, 6),
    "object_hue": (0, 3, 6),
    "scale": (0, 7),
    "shape": (0, 1, 2, 3),
    "orientation": (0, 7, 14),
}
#: Attribute names written on the file root.
ATTRS = (
    "renderer",
    "disentbench_renderer",
    "renderer_version",
    "render_params",
    "reduced",
    "factor_names",
    "factor_sizes",
    "factor_values",
    "stand_in",
)
#: Images per HDF5 chunk (and per unit of work: a multiple of it).
CHUNK_IMAGES = 32
_UNIT_CHUNKS = 15
_COMPRESSION_LEVEL = 4


def factor_values(reduced: bool = False) -> dict[str, np.ndarray]:
    """The factor values of the full or reduced grid, in storage order."""
    if not reduced:
        return {k: v.copy() for k, v in FULL_VALUES.items()}
    return {k: FULL_VALUES[k][list(REDUCED_INDICES[k])] for k in FACTOR_NAMES}


def grid_labels(values: dict[str, np.ndarray]) -> np.ndarray:
    """All label rows ``(n, 6)`` float64 of a grid, in storage order (last factor fastest)."""
    axes = [values[k] for k in FACTOR_NAMES]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=1).astype(np.float64)


def _geometry_configs(values: dict[str, np.ndarray]) -> list[tuple[float, int, float]]:
    """(scale, shape, orientation) of each geometry configuration, in storage order."""
    return [
        (float(s), int(sh), float(o))
        for s in values["scale"]
        for sh in values["shape"]
        for o in values["orientation"]
    ]


def _hue_rgb(values: dict[str, np.ndarray]) -> np.ndarray:
    """RGB of every (floor, wall, object) hue combination in storage order: ``(combos, 3, 3)``."""
    f, w, o = (hsv_rgb(values[k]) for k in FACTOR_NAMES[:3])
    nf, nw, no = len(f), len(w), len(o)
    rgb = np.empty((nf, nw, no, 3, 3))
    rgb[..., 0, :] = f[:, None, None, :]
    rgb[..., 1, :] = w[None, :, None, :]
    rgb[..., 2, :] = o[None, None, :, :]
    return rgb.reshape(-1, 3, 3).astype(np.float32)


# --- worker side -------------------------------------------------------------------------------
_STATE: dict[str, np.ndarray] = {}


def _init_colour_worker(coef: np.ndarray, sky: np.ndarray, rgb: np.ndarray, sky_rgb: np.ndarray) -> None:
    """Keep the shading maps and hue colours in the worker (sent once per worker)."""
    _STATE.update(coef=coef, sky=sky, rgb=rgb, sky_rgb=sky_rgb)


def _geometry_task(args: tuple[float, int, float, SceneParams]) -> ShadingMaps:
    scale, shape, orientation, params = args
    return shading_maps(scale, shape, orientation, params)


def colour_range(
    start: int, stop: int, coef: np.ndarray, sky: np.ndarray, rgb: np.ndarray, sky_rgb: np.ndarray
) -> np.ndarray:
    """Images ``start..stop-1`` of the grid as uint8 ``(n, 64, 64, 3)``.

    Row r shows geometry configuration ``r % G`` recoloured with hue combination ``r // G``.
    """
    rows = np.arange(start, stop)
    n_cfg = coef.shape[0]
    cfg, combo = rows % n_cfg, rows // n_cfg
    img = sky[cfg][..., None] * sky_rgb.astype(np.float32)
    img += np.einsum("nchw,nck->nhwk", coef[cfg], rgb[combo], optimize=True)
    np.clip(img, 0.0, 1.0, out=img)
    img *= 255.0
    return np.rint(img).astype(np.uint8)


def _colour_task(args: tuple[int, int]) -> tuple[int, list[bytes]]:
    """Colour one unit of work and deflate each chunk (the HDF5 gzip filter's zlib stream)."""
    start, stop = args
    images = colour_range(start, stop, _STATE["coef"], _STATE["sky"], _STATE["rgb"], _STATE["sky_rgb"])
    chunks = []
    for i in range(0, len(images), CHUNK_IMAGES):
        part = images[i : i + CHUNK_IMAGES]
        if len(part) < CHUNK_IMAGES:  # HDF5 stores the last chunk full size
            part = np.concatenate([part, np.zeros((CHUNK_IMAGES - len(part), *part.shape[1:]), np.uint8)])
        chunks.append(zlib.compress(part.tobytes(), _COMPRESSION_LEVEL))
    return start, chunks


# --- parent side -------------------------------------------------------------------------------
class _InProcess:
    """Stands in for a process pool when ``workers`` is 0 or 1: same code path, no processes."""

    def __init__(self, initializer=None, initargs=()):
        if initializer is not None:
            initializer(*initargs)


@contextlib.contextmanager
def _pool(workers: int, initializer=None, initargs=()):
    """A process pool of ``workers`` spawned processes (or :class:`_InProcess`).

    Spawned, not forked: the caller may hold threads (Ray, torch). A worker that cannot start
    (e.g. a script without an ``if __name__ == "__main__"`` guard) breaks the pool, which raises
    instead of respawning workers forever.
    """
    if workers <= 1:
        yield _InProcess(initializer, initargs)
        return
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=initializer, initargs=initargs)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ordered_map(pool, fn, items: Sequence, window: int) -> Iterator:
    """Results of ``fn`` over ``items`` in order, with at most ``window`` tasks in flight."""
    if isinstance(pool, _InProcess):
        yield from map(fn, items)
        return
    it = iter(items)
    pending = collections.deque(pool.submit(fn, item) for item in itertools.islice(it, window))
    while pending:
        try:
            result = pending.popleft().result()
        except BrokenProcessPool as exc:
            raise RuntimeError(
                "render_shapes3d: a worker process died or could not start; a script that calls it "
                'with workers > 1 needs an `if __name__ == "__main__":` guard (or use workers=1)'
            ) from exc
        for item in itertools.islice(it, 1):
            pending.append(pool.submit(fn, item))
        yield result


def _check_args(path: object, workers: object) -> tuple[Path, int]:
    if not isinstance(path, (str, os.PathLike)):
        raise UserError(f"render_shapes3d: path must be a file path, got {type(path).__name__}")
    if workers is None:
        workers = min(os.cpu_count() or 1, 8)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise UserError(f"render_shapes3d: workers must be a non-negative integer or None, got {workers!r}")
    target = Path(path)
    if target.is_dir():
        raise UserError(f"render_shapes3d: {target} is a directory; expected the path of the .h5 file")
    return target, workers


def _tqdm(total: int, desc: str, unit: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr, smoothing=0.05)


def render_attrs(values: dict[str, np.ndarray], reduced: bool, params: SceneParams) -> dict[str, object]:
    """The provenance attributes written on the file root (see :data:`ATTRS`)."""
    return {
        "renderer": RENDERER_NAME,
        "disentbench_renderer": RENDERER_NAME,
        "renderer_version": RENDERER_VERSION,
        "render_params": json.dumps(params.to_dict(), sort_keys=True),
        "reduced": bool(reduced),
        "factor_names": json.dumps(list(FACTOR_NAMES)),
        "factor_sizes": json.dumps([len(values[k]) for k in FACTOR_NAMES]),
        "factor_values": json.dumps({k: values[k].tolist() for k in FACTOR_NAMES}),
        "stand_in": (
            "Offline look-alike of the official 3dshapes.h5 rendered by disentbench's ray caster, "
            "not the DeepMind MuJoCo images; scores on it do not compare with the paper's."
        ),
    }


def render_shapes3d(
    path: str | os.PathLike[str],
    *,
    reduced: bool = False,
    workers: int | None = None,
    progress: bool = True,
    params: SceneParams | None = None,
) -> Path:
    """Render the Shapes3D stand-in into the HDF5 file ``path`` (official layout, docs/reference/data.md
    §4.5).

    ``reduced`` renders the small grid of the module docstring; ``workers`` is the number of
    processes (None: CPU count, at most 8; 0 or 1: in this process); ``progress`` shows tqdm
    bars on stderr. The file is written to a temporary name beside ``path`` and renamed when
    complete, so ``path`` never holds a partial file. Returns ``path``.
    """
    import h5py

    target, workers = _check_args(path, workers)
    params = params or SceneParams()
    values = factor_values(reduced)
    labels = grid_labels(values)
    n = len(labels)
    coef, sky = shade_grid(values, params, workers=workers, progress=progress)
    initargs = (coef, sky, _hue_rgb(values), np.asarray(params.sky_rgb, dtype=np.float32))
    with atomic_path(target) as tmp:
        with h5py.File(tmp, "w") as fh:
            for key, value in render_attrs(values, reduced, params).items():
                fh.attrs[key] = value
            fh.create_dataset(
                "labels", data=labels, chunks=(min(n, 4800), 6), compression="gzip", compression_opts=4
            )
            images = create_images_dataset(fh, n)
            fill_images(images, n, initargs, workers=workers, progress=progress)
    return target


def shade_grid(
    values: dict[str, np.ndarray], params: SceneParams, *, workers: int, progress: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Phase 1: the shading maps of every (scale, shape, orientation) of the grid, in storage order.

    Returns ``coef`` ``(G, 3, 64, 64)`` and ``sky`` ``(G, 64, 64)`` float32.
    """
    configs = _geometry_configs(values)
    coef = np.empty((len(configs), 3, 64, 64), dtype=np.float32)
    sky = np.empty((len(configs), 64, 64), dtype=np.float32)
    with _pool(workers) as pool, _tqdm(len(configs), "shapes3d geometry", "config", progress) as bar:
        tasks = [(*cfg, params) for cfg in configs]
        for i, maps in enumerate(_ordered_map(pool, _geometry_task, tasks, 4 * max(workers, 1))):
            coef[i], sky[i] = maps.coef, maps.sky
            bar.update(1)
    return coef, sky


def create_images_dataset(fh, n: int):
    """The ``images`` dataset: uint8 ``(n, 64, 64, 3)``, gzip chunks of :data:`CHUNK_IMAGES` images."""
    return fh.create_dataset(
        "images",
        shape=(n, 64, 64, 3),
        dtype=np.uint8,
        chunks=(CHUNK_IMAGES, 64, 64, 3),
        compression="gzip",
        compression_opts=_COMPRESSION_LEVEL,
    )


def fill_images(images, stop: int, initargs: tuple, *, workers: int, progress: bool) -> None:
    """Phase 2: colour rows ``0..stop-1`` in worker processes and write their compressed chunks in order.

    ``initargs`` = (coef, sky, hue RGB per combination, sky RGB), see :func:`colour_range`.
    """
    unit = CHUNK_IMAGES * _UNIT_CHUNKS
    units = [(s, min(s + unit, stop)) for s in range(0, stop, unit)]
    try:
        with (
            _pool(workers, _init_colour_worker, initargs) as pool,
            _tqdm(stop, "shapes3d images", "img", progress) as bar,
        ):
            for start, chunks in _ordered_map(pool, _colour_task, units, 2 * max(workers, 1)):
                for j, data in enumerate(chunks):
                    images.id.write_direct_chunk((start + j * CHUNK_IMAGES, 0, 0, 0), data)
                bar.update(min(len(chunks) * CHUNK_IMAGES, stop - start))
    finally:
        _STATE.clear()  # the in-process path keeps the maps here
