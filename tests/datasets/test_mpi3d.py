"""MPI3D read back from npz files (stored and compressed), small grid; the 4×4 / 6×6 rule."""

from __future__ import annotations

import numpy as np
import pytest
from _datasets_helpers import MPI3D_GRID, write_mpi3d

from disentbench.datasets import get, mpi3d
from disentbench.errors import DataFileError


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("variant", ["mpi3d_toy", "mpi3d_realistic", "mpi3d_real"])
def test_factor_image_round_trip(tmp_path, variant, compressed):
    images = write_mpi3d(tmp_path / variant / f"{variant}.npz", compressed=compressed)
    data = get(variant, root=tmp_path, test_grid=MPI3D_GRID)
    assert data.name == variant and data.factors_num_values == list(MPI3D_GRID)
    assert data.factor_names[0] == "object_color" and data.observation_shape == (3, 64, 64)
    # stored members are mapped inside the npz itself; compressed ones go through the cache
    assert (data.pixel_file == data.path) is (not compressed)
    grid = np.stack(np.unravel_index(np.arange(len(images)), MPI3D_GRID), axis=1)
    rs = np.random.RandomState(0)
    observations = data.sample_observations_from_factors(grid, rs)
    expected = (images.astype(np.float32) / np.float32(255)).transpose(0, 3, 1, 2)
    assert np.array_equal(observations, expected)
    assert data.provenance["grid"] == list(MPI3D_GRID) and data.provenance["checksum_pinned"] is False


def test_random_draws_are_the_reference_factor_draws(tmp_path):
    images = write_mpi3d(tmp_path / "mpi3d_toy" / "mpi3d_toy.npz")
    data = get("mpi3d_toy", root=tmp_path, test_grid=MPI3D_GRID)
    factors, observations = data.sample(30, np.random.RandomState(9))
    ref = np.random.RandomState(9)
    assert np.array_equal(factors, np.stack([ref.randint(s, size=30) for s in MPI3D_GRID], axis=1))
    bases = np.prod(MPI3D_GRID) / np.cumprod(MPI3D_GRID)  # the reference's float place values
    rows = np.array(np.dot(factors, bases), dtype=np.int64)
    assert np.array_equal(observations, (images[rows] / 255.0).astype(np.float32).transpose(0, 3, 1, 2))


def test_grid_is_read_from_the_number_of_images(tmp_path):
    path = tmp_path / "x.npz"
    assert mpi3d._grid_for(path, 460_800, None) == (4, 4, 2, 3, 3, 40, 40)
    assert mpi3d._grid_for(path, 1_036_800, None) == (6, 6, 2, 3, 3, 40, 40)
    with pytest.raises(DataFileError, match="holds 1,000 images; an MPI3D file holds 460,800"):
        mpi3d._grid_for(path, 1000, None)
    write_mpi3d(tmp_path / "mpi3d_toy" / "mpi3d_toy.npz")
    with pytest.raises(DataFileError, match="holds 72 images"):  # no silent reduced grid
        get("mpi3d_toy", root=tmp_path)


def test_already_shaped_images_are_accepted(tmp_path):
    images = np.random.RandomState(2).randint(0, 256, (*MPI3D_GRID, 64, 64, 3)).astype(np.uint8)
    path = tmp_path / "mpi3d_real" / "mpi3d_real.npz"
    path.parent.mkdir()
    np.savez(path, images=images)
    data = get("mpi3d_real", root=tmp_path, test_grid=MPI3D_GRID)
    factors = np.array([[1, 0, 0, 0, 1, 2, 1]])
    observation = data.sample_observations_from_factors(factors, np.random.RandomState(0))[0]
    assert np.array_equal(observation, images[1, 0, 0, 0, 1, 2, 1].transpose(2, 0, 1) / np.float32(255))


@pytest.mark.parametrize("damage", ["truncated_stored", "truncated_compressed", "wrong_key", "wrong_shape"])
def test_damaged_files_give_a_named_error_and_no_cache(tmp_path, damage):
    path = tmp_path / "mpi3d_toy" / "mpi3d_toy.npz"
    if damage == "wrong_key":
        path.parent.mkdir()
        np.savez(path, imgs=np.zeros((72, 64, 64, 3), np.uint8))
        match = r"array 'images' missing \(found: imgs.npy\)"
    elif damage == "wrong_shape":
        path.parent.mkdir()
        np.savez(path, images=np.zeros((72, 64, 64), np.uint8))
        match = r"shape \(N, 64, 64, 3\)"
    else:
        write_mpi3d(path, compressed=damage.endswith("compressed"))
        body = path.read_bytes()
        path.write_bytes(body[: len(body) * 2 // 3])
        match = "truncated"
    with pytest.raises(DataFileError, match=match):
        get("mpi3d_toy", root=tmp_path, test_grid=MPI3D_GRID)
    assert not [p for p in path.parent.iterdir() if ".npy" in p.name]


def test_corrupted_compressed_member_leaves_no_cache(tmp_path):
    path = tmp_path / "mpi3d_toy" / "mpi3d_toy.npz"
    write_mpi3d(path, compressed=True)
    body = bytearray(path.read_bytes())
    middle = len(body) // 2
    body[middle : middle + 64] = bytes(64)  # damage the deflate stream, keep the zip directory
    path.write_bytes(bytes(body))
    with pytest.raises(DataFileError, match=r"mpi3d_toy\.npz"):
        get("mpi3d_toy", root=tmp_path, test_grid=MPI3D_GRID)
    assert not [p for p in path.parent.iterdir() if ".npy" in p.name]
