"""SmallNORB read back from files in its binary-matrix format (a small factor grid)."""

from __future__ import annotations

import numpy as np
import pytest
from _datasets_helpers import NORB_GRID, NORB_NAMES, write_binary_matrix, write_smallnorb
from PIL import Image

from disentbench.datasets import get, smallnorb
from disentbench.errors import DataFileError


def _reference_resize(image: np.ndarray) -> np.ndarray:
    """The reference's literal steps: bytes read as int8, PIL fromarray, Lanczos, no clipping."""
    signed = np.frombuffer(image.astype(np.uint8).tobytes(), dtype="int8").reshape(96, 96)
    return np.asarray(Image.fromarray(signed).resize((64, 64), Image.LANCZOS)).astype(np.float64)


def _caches(root):
    return sorted(p.name for p in (root / "small_norb").glob(".*.npy*"))


def test_factor_image_round_trip_through_the_lookup_index(tmp_path):
    written = write_smallnorb(tmp_path)
    data = get("smallnorb", root=tmp_path, test_grid=NORB_GRID)
    assert data.factor_names == ["category", "elevation", "azimuth", "lighting"]
    assert data.factors_num_values == [2, 2, 3, 2] and data.observation_shape == (1, 64, 64)
    assert data.provenance["source"] == "official" and data.provenance["reduced"] is True
    assert data.provenance["checksum_pinned"] is False
    # every stored image is found again from its own factor vector (all five factors)
    features, images = written["features"], written["images"]
    rows = data.index.rows(features)
    assert np.array_equal(rows, np.arange(len(features)))
    for row in (0, 7, len(features) - 1):
        expected = (_reference_resize(images[row]) / 255.0).astype(np.float32)
        assert np.array_equal(data.images[row].astype(np.float32) / np.float32(255), expected)


def test_random_draws_follow_the_reference_including_the_nuisance_instance(tmp_path):
    written = write_smallnorb(tmp_path)
    data = get("smallnorb", root=tmp_path, test_grid=NORB_GRID)
    factors, observations = data.sample(50, np.random.RandomState(3))
    # the reference: one randint per latent factor in order, then the instance (size 2 here)
    rs = np.random.RandomState(3)
    latent = np.stack([rs.randint(size, size=50) for size in (2, 2, 3, 2)], axis=1)
    instance = rs.randint(2, size=50)
    assert np.array_equal(factors, latent)
    full = np.column_stack([latent[:, 0], instance, latent[:, 1:]])
    table = {tuple(f): i for i, f in enumerate(written["features"].tolist())}
    for k in range(50):
        row = table[tuple(full[k].tolist())]
        expected = (_reference_resize(written["images"][row]) / 255.0).astype(np.float32)
        assert np.array_equal(observations[k, 0], expected)
    assert observations.dtype == np.float32 and observations.shape == (50, 1, 64, 64)
    # the same latent factors give different instances (a random image among its nuisance variants)
    again = data.sample_observations_from_factors(np.repeat(latent[:1], 40, axis=0), np.random.RandomState(0))
    assert len({again[i].tobytes() for i in range(40)}) == 2


def test_lanczos_overshoot_kept_like_the_reference():
    checker = (np.indices((96, 96)).sum(axis=0) // 3 % 2 * 255).astype(np.uint8)
    ours = smallnorb.resize_like_reference(checker)
    assert np.array_equal(ours, _reference_resize(checker))
    assert ours.min() < 0 and ours.max() > 255  # not clipped: the reference's values
    # float32 of the reference's float64 division equals our float32 division for every value
    values = np.arange(-200, 460)
    assert np.array_equal((values / 255.0).astype(np.float32), values.astype(np.float32) / np.float32(255))


def test_official_sizes_required_without_the_test_hook(tmp_path):
    write_smallnorb(tmp_path)
    with pytest.raises(DataFileError, match="official file has 24300"):
        get("smallnorb", root=tmp_path)
    assert _caches(tmp_path) == []


def test_missing_and_duplicated_combinations_are_named(tmp_path):
    write_smallnorb(tmp_path)
    info = tmp_path / "small_norb" / NORB_NAMES[1].format("info")
    table = smallnorb.read_matrix(info).copy()
    table[0] = table[1]  # one combination twice, another missing
    write_binary_matrix(info, table)
    with pytest.raises(DataFileError, match=r"exactly once: 1 factor combination\(s\) missing .* 1 present"):
        get("smallnorb", root=tmp_path, test_grid=NORB_GRID)
    assert _caches(tmp_path) == []


@pytest.mark.parametrize("damage", ["truncated", "magic", "shape", "odd_azimuth"])
def test_damaged_files_give_a_named_error_and_no_cache(tmp_path, damage):
    write_smallnorb(tmp_path)
    folder = tmp_path / "small_norb"
    dat = folder / NORB_NAMES[0].format("dat")
    if damage == "truncated":
        dat.write_bytes(dat.read_bytes()[:-100])
        match = f"{dat.name}.*the file truncated"
    elif damage == "magic":
        body = bytearray(dat.read_bytes())
        body[0] ^= 0xFF
        dat.write_bytes(bytes(body))
        match = "not a binary-matrix magic"
    elif damage == "shape":
        write_binary_matrix(dat, np.zeros((12, 2, 64, 64), dtype=np.uint8))
        match = r"shape \(N, 2, 96, 96\)"
    else:
        info = folder / NORB_NAMES[0].format("info")
        table = smallnorb.read_matrix(info).copy()
        table[0, 2] = 1
        write_binary_matrix(info, table)
        match = "azimuth values must be even"
    with pytest.raises(DataFileError, match=match):
        get("smallnorb", root=tmp_path, test_grid=NORB_GRID)
    assert _caches(tmp_path) == []


def test_cache_is_built_once_and_shared(tmp_path):
    write_smallnorb(tmp_path)
    first = get("smallnorb", root=tmp_path, test_grid=NORB_GRID)
    mtime = first.pixel_file.stat().st_mtime_ns
    second = get("smallnorb", root=tmp_path, test_grid=NORB_GRID)
    assert second.pixel_file == first.pixel_file and first.pixel_file.stat().st_mtime_ns == mtime
    assert first.images.dtype == np.int16 and not first.images.flags.writeable


def test_error_while_building_leaves_no_cache(tmp_path, monkeypatch):
    write_smallnorb(tmp_path)

    def broken(image):
        raise DataFileError("resize failed")

    monkeypatch.setattr(smallnorb, "resize_like_reference", broken)
    with pytest.raises(DataFileError, match="resize failed"):
        get("smallnorb", root=tmp_path, test_grid=NORB_GRID)
    assert [p for p in (tmp_path / "small_norb").iterdir() if ".npy" in p.name] == []
