"""Data root and file lookup (paths.py)."""

from __future__ import annotations

import pytest

from disentbench.datasets import paths
from disentbench.errors import DataFileError, UserError

DSPRITES = "dsprites/dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"


def test_root_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("DISENTBENCH_DATA", str(tmp_path / "env"))
    assert paths.data_root() == tmp_path / "env"
    assert paths.data_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("DISENTBENCH_DATA")
    assert paths.data_root().name == "disentbench"  # platformdirs user cache


def test_dlib_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("DISENTBENCH_DATA", str(tmp_path / "ours"))
    monkeypatch.setenv("DISENTANGLEMENT_LIB_DATA", str(tmp_path / "dlib"))
    for rel in (DSPRITES, "scream/scream.jpg", "3dshapes/3dshapes.h5"):
        (tmp_path / "dlib" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "dlib" / rel).write_bytes(b"x")
    assert paths.find("dsprites") == tmp_path / "dlib" / DSPRITES
    assert paths.find("scream_dsprites") == tmp_path / "dlib" / DSPRITES  # data-set name -> its file
    assert paths.find("scream") == tmp_path / "dlib" / "scream" / "scream.jpg"
    assert paths.find("shapes3d") == tmp_path / "dlib" / "3dshapes" / "3dshapes.h5"
    # our root wins over the reference's
    (tmp_path / "ours" / DSPRITES).parent.mkdir(parents=True)
    (tmp_path / "ours" / DSPRITES).write_bytes(b"y")
    assert paths.find("dsprites") == tmp_path / "ours" / DSPRITES
    # an explicit root is searched alone
    assert paths.find("scream", tmp_path / "elsewhere") is None


def test_missing_file_message(tmp_path):
    with pytest.raises(DataFileError) as info:
        paths.require("shapes3d", tmp_path)
    msg = str(info.value)
    assert str(tmp_path / "3dshapes" / "3dshapes.h5") in msg
    assert "disentbench data download shapes3d" in msg and "disentbench data render shapes3d" in msg
    with pytest.raises(DataFileError) as info:
        paths.require("scream", tmp_path)
    assert "data download scream" in str(info.value) and "render" not in str(info.value)


def test_unknown_name():
    with pytest.raises(UserError, match="unknown data file 'mnist'"):
        paths.source("mnist")
