"""Shapes3D loader on procedural files in the public h5 layout (docs/reference/data.md §4.5)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from _datasets_helpers import SIZES, labels_for, write_h5

from disentbench.datasets import get
from disentbench.datasets.shapes3d import OFFICIAL_SIZES, Shapes3D, checksums
from disentbench.errors import DataFileError


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_observations_factor_order_and_scaling(tmp_path, compression):
    path = tmp_path / "3dshapes" / "3dshapes.h5"
    images = write_h5(path, compression=compression)
    data = get("shapes3d", root=tmp_path)
    assert isinstance(data, Shapes3D)
    assert data.factors_num_values == list(SIZES) and data.num_factors == 6
    assert data.factor_names[0] == "floor_hue" and data.factor_names[-1] == "orientation"
    assert data.observation_shape == (3, 64, 64)
    rs = np.random.RandomState(2)
    factors, obs = data.sample(20, rs)
    # index = Σ f_i·b_i, orientation fastest (§4.5)
    idx = np.ravel_multi_index(tuple(factors.T), SIZES)
    expected = images[idx].transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
    assert obs.dtype == np.float32 and np.array_equal(obs, expected)
    assert obs.min() >= 0 and obs.max() <= 1
    # no nuisance factor, no noise: exactly K randint draws
    ref = np.random.RandomState(2)
    for size in SIZES:
        ref.randint(size, size=20)
    assert rs.random_sample() == ref.random_sample()
    # pixels are memory-mapped: the h5 itself when contiguous, a shared cache otherwise
    assert isinstance(data.images, np.memmap)
    if compression is None:
        assert data.pixel_file == path
    else:
        assert data.pixel_file.name.endswith(".u8.npy") and data.pixel_file.parent == path.parent


def test_provenance(tmp_path):
    official = tmp_path / "a" / "3dshapes" / "3dshapes.h5"
    write_h5(official)
    prov = Shapes3D(root=tmp_path / "a").provenance
    assert prov["source"] == "official" and prov["reduced"] is False
    assert prov["sha256"] == checksums(official)["sha256"]
    assert checksums(official)["verified"] is False  # not the published file
    rendered = tmp_path / "b" / "3dshapes" / "3dshapes.h5"
    write_h5(
        rendered,
        attrs={"renderer": "r", "renderer_version": "2", "render_params": '{"a": 1}', "reduced": True},
    )
    prov = Shapes3D(root=tmp_path / "b").provenance
    assert prov == {
        "source": "rendered",
        "path": str(rendered),
        "renderer": "r",
        "renderer_version": "2",
        "render_params": {"a": 1},
        "reduced": True,
    }


def test_dlib_layout_is_found(tmp_path, monkeypatch):
    write_h5(tmp_path / "dlib" / "3dshapes.h5")
    monkeypatch.setenv("DISENTBENCH_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("DISENTANGLEMENT_LIB_DATA", str(tmp_path / "dlib"))
    assert Shapes3D().path == tmp_path / "dlib" / "3dshapes.h5"


def _bad(tmp_path: Path, **kw) -> Path:
    path = tmp_path / "3dshapes" / "3dshapes.h5"
    write_h5(path, **kw)
    return path


def test_wrong_dtype(tmp_path):
    n = int(np.prod(SIZES))
    _bad(tmp_path, images=np.zeros((n, 64, 64, 3), dtype=np.float32))
    with pytest.raises(
        DataFileError, match=r"'images' must be uint8 of shape \(N, 64, 64, 3\); found float32"
    ):
        Shapes3D(root=tmp_path)


def test_wrong_shape(tmp_path):
    n = int(np.prod(SIZES))
    _bad(tmp_path, images=np.zeros((n, 3, 64, 64), dtype=np.uint8))
    with pytest.raises(DataFileError, match=r"3dshapes\.h5: 'images' must be"):
        Shapes3D(root=tmp_path)


def test_wrong_order(tmp_path):
    _bad(tmp_path, labels=labels_for(SIZES)[::-1].copy())
    with pytest.raises(DataFileError, match="official order"):
        Shapes3D(root=tmp_path)


def test_labels_not_a_grid(tmp_path):
    labels = labels_for(SIZES)
    labels[5, 0] = 0.55
    _bad(tmp_path, labels=labels)
    with pytest.raises(DataFileError, match="distinct values"):
        Shapes3D(root=tmp_path)


def test_missing_dataset(tmp_path):
    path = tmp_path / "3dshapes" / "3dshapes.h5"
    path.parent.mkdir(parents=True)
    with h5py.File(path, "w") as fh:
        fh.create_dataset("imgs", data=np.zeros((1, 64, 64, 3), dtype=np.uint8))
    with pytest.raises(DataFileError, match="dataset 'images' missing"):
        Shapes3D(root=tmp_path)


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_truncated_file(tmp_path, compression):
    path = _bad(tmp_path, compression=compression)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DataFileError, match="not a readable Shapes3D HDF5 file"):
        Shapes3D(root=tmp_path)
    assert [p.name for p in path.parent.iterdir() if p.suffix in (".npy", ".part")] == []


def test_official_sizes_constant():
    assert OFFICIAL_SIZES == (10, 10, 10, 8, 4, 15) and int(np.prod(OFFICIAL_SIZES)) == 480000
