"""Cars3D read back from MATLAB ``.mat`` files (scipy.io.savemat, field ``im``), small grid."""

from __future__ import annotations

import numpy as np
import pytest
from _datasets_helpers import CARS_GRID, cars_meshes, write_cars_dir
from PIL import Image

from disentbench.datasets import cars3d, get
from disentbench.errors import DataFileError


def _reference_thumbnail(image: np.ndarray) -> np.ndarray:
    picture = Image.fromarray(image)
    picture.thumbnail((64, 64), Image.LANCZOS)
    return np.asarray(picture)


def _no_cache(root) -> bool:
    return not [p for p in root.iterdir() if ".npy" in p.name]


def test_factor_image_round_trip_with_sorted_object_ids(tmp_path):
    meshes = cars_meshes()
    write_cars_dir(tmp_path / "cars", meshes)
    data = get("cars3d", root=tmp_path, test_grid=CARS_GRID)
    assert data.factor_names == ["elevation", "azimuth", "object"]
    assert data.factors_num_values == [2, 3, 4] and data.observation_shape == (3, 64, 64)
    assert data.object_files == sorted(meshes) and list(meshes) != sorted(meshes)
    assert data.provenance["object_order"] == "sorted file names" and data.provenance["reduced"] is True
    grid = np.stack(np.unravel_index(np.arange(2 * 3 * 4), (2, 3, 4)), axis=1)
    observations = data.sample_observations_from_factors(grid, np.random.RandomState(0))
    for (elevation, azimuth, obj), observation in zip(grid, observations, strict=True):
        im = meshes[sorted(meshes)[obj]]  # (128, 128, 3, azimuth, elevation)
        expected = _reference_thumbnail(im[:, :, :, azimuth, elevation]) / 255.0
        assert np.array_equal(observation, expected.astype(np.float32).transpose(2, 0, 1))


def test_sampling_draws_only_the_latent_factors(tmp_path):
    write_cars_dir(tmp_path / "cars", cars_meshes())
    data = get("cars3d", root=tmp_path, test_grid=CARS_GRID)
    rs = np.random.RandomState(5)
    factors, observations = data.sample(20, rs)
    ref = np.random.RandomState(5)
    assert np.array_equal(factors, np.stack([ref.randint(s, size=20) for s in (2, 3, 4)], axis=1))
    assert rs.randint(1 << 30) == ref.randint(1 << 30)  # no further draws (no nuisance factor)
    assert observations.shape == (20, 3, 64, 64)


def test_official_count_required_without_the_test_hook(tmp_path):
    write_cars_dir(tmp_path / "cars", cars_meshes())
    with pytest.raises(DataFileError, match=r"4 \.mat files; Cars3D has 183"):
        get("cars3d", root=tmp_path)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "no_im", "shape"])
def test_damaged_files_give_a_named_error_and_no_cache(tmp_path, damage):
    meshes = cars_meshes()
    write_cars_dir(tmp_path / "cars", meshes)
    victim = tmp_path / "cars" / sorted(meshes)[2]
    if damage == "truncated":
        victim.write_bytes(victim.read_bytes()[:5000])
        match = "not a readable MATLAB"
    elif damage == "garbage":
        victim.write_bytes(b"<html>not found</html>" * 10)
        match = "not a readable MATLAB"
    elif damage == "no_im":
        import scipy.io

        scipy.io.savemat(victim, {"images": np.zeros((2, 2), dtype=np.uint8)})
        match = r"'im' missing \(found: images\)"
    else:
        import scipy.io

        scipy.io.savemat(victim, {"im": np.zeros((64, 64, 3, 3, 2), dtype=np.uint8)})
        match = r"'im' must be uint8 of shape \(128, 128, 3, 3, 2\)"
    with pytest.raises(DataFileError, match=match) as err:
        get("cars3d", root=tmp_path, test_grid=CARS_GRID)
    assert victim.name in str(err.value)
    assert _no_cache(tmp_path)


def test_features_cover_the_grid_in_file_order():
    features = cars3d.features((2, 3, 4))
    first = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 2, 0], [1, 2, 0], [0, 0, 1]]
    assert features[:7].tolist() == first
