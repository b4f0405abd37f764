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


# --- SmallNORB, Cars3D, MPI3D writers (the official binary formats, small factor grids) ---

NORB_MAGIC = {np.dtype(np.uint8): 507333717, np.dtype("<i4"): 507333716}
NORB_GRID = (2, 2, 2, 3, 2)  # category, instance, elevation, azimuth/2, lighting
NORB_NAMES = (
    "smallnorb-5x46789x9x18x6x2x96x96-training-{}.mat",
    "smallnorb-5x01235x9x18x6x2x96x96-testing-{}.mat",
)


def write_binary_matrix(path: Path, array: np.ndarray) -> None:
    """SmallNORB's binary-matrix format: magic, ndim, max(3, ndim) dims, C-ordered data."""
    array = np.ascontiguousarray(array)
    dims = list(array.shape) + [1] * max(0, 3 - array.ndim)
    header = np.array([NORB_MAGIC[array.dtype], array.ndim, *dims], dtype="<i4")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.tobytes() + array.tobytes())


def write_smallnorb(root: Path, grid: tuple[int, ...] = NORB_GRID, seed: int = 0) -> dict[str, np.ndarray]:
    """Six files under ``root/small_norb``: instances split between training (odd) and testing
    (even) like the official chunks, rows shuffled so the file order is not the factor order.

    Returns ``features`` (file order, azimuth as an index) and ``images`` (camera 0, file order).
    """
    rs = np.random.RandomState(seed)
    grid_rows = np.stack(np.unravel_index(np.arange(int(np.prod(grid))), grid), axis=1)
    features, images = [], []
    for chunk, name in enumerate(NORB_NAMES):
        rows = grid_rows[grid_rows[:, 1] % 2 == (0 if chunk else 1)]
        rows = rows[rs.permutation(len(rows))]
        n = len(rows)
        dat = rs.randint(0, 256, (n, 2, 96, 96)).astype(np.uint8)
        info = np.stack([rows[:, 1], rows[:, 2], 2 * rows[:, 3], rows[:, 4]], axis=1).astype("<i4")
        write_binary_matrix(root / "small_norb" / name.format("dat"), dat)
        write_binary_matrix(root / "small_norb" / name.format("cat"), rows[:, 0].astype("<i4"))
        write_binary_matrix(root / "small_norb" / name.format("info"), info)
        features.append(rows)
        images.append(dat[:, 0])
    return {"features": np.concatenate(features), "images": np.concatenate(images)}


CARS_GRID = (2, 3, 4)  # elevation, azimuth, object


def cars_meshes(grid: tuple[int, ...] = CARS_GRID, seed: int = 0) -> dict[str, np.ndarray]:
    """``im`` arrays (128, 128, 3, azimuth, elevation) per file name (names not in sorted order)."""
    elevations, azimuths, objects = grid
    rs = np.random.RandomState(seed)
    names = [f"car_{k:03d}_mesh.mat" for k in rs.permutation(objects)]
    return {name: rs.randint(0, 256, (128, 128, 3, azimuths, elevations)).astype(np.uint8) for name in names}


def write_cars_dir(directory: Path, meshes: dict[str, np.ndarray]) -> None:
    import scipy.io

    directory.mkdir(parents=True, exist_ok=True)
    for name, im in meshes.items():
        scipy.io.savemat(directory / name, {"im": im})


def write_cars_archive(
    path: Path, meshes: dict[str, np.ndarray], extra: dict[str, bytes] | None = None
) -> None:
    """``nips2015-analogy-data.tar.gz`` layout: ``data/cars/*.mat`` plus other members."""
    import io
    import tarfile
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write_cars_dir(Path(tmp), meshes)
        with tarfile.open(path, "w:gz") as tar:
            for name in meshes:
                tar.add(Path(tmp) / name, arcname=f"data/cars/{name}")
            for name, body in (extra or {}).items():
                info = tarfile.TarInfo(name)
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))


MPI3D_GRID = (2, 2, 1, 1, 2, 3, 3)


def write_mpi3d(path: Path, grid: tuple[int, ...] = MPI3D_GRID, *, compressed: bool = False) -> np.ndarray:
    n = int(np.prod(grid))
    images = np.random.RandomState(1).randint(0, 256, (n, 64, 64, 3)).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    (np.savez_compressed if compressed else np.savez)(path, images=images)
    return images
