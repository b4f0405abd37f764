"""Downloads of SmallNORB (six .mat.gz), Cars3D (tar.gz) and MPI3D (npz) from 127.0.0.1."""

from __future__ import annotations

import gzip
import tarfile

import numpy as np
import pytest
from _datasets_helpers import (
    CARS_GRID,
    MPI3D_GRID,
    NORB_GRID,
    cars_meshes,
    write_cars_archive,
    write_mpi3d,
    write_smallnorb,
)
from test_download import server  # noqa: F401  (the local HTTP server fixture)

from disentbench.cli import main
from disentbench.datasets import get, mpi3d, paths
from disentbench.datasets.download import download, remotes
from disentbench.errors import DataFileError


def _serve_norb(server, tmp_path):  # noqa: F811
    source = tmp_path / "source"
    written = write_smallnorb(source)
    for rel in paths.SMALLNORB_FILES:
        name = rel.split("/")[-1]
        server.files[f"/norb/{name}.gz"] = gzip.compress((source / rel).read_bytes())
    return written, source


def test_smallnorb_six_gzipped_files_through_the_cli(server, tmp_path, capsys):  # noqa: F811
    written, _ = _serve_norb(server, tmp_path)
    root = tmp_path / "root"
    assert main(["data", "download", "smallnorb", "--root", str(root), "--url", server.url("/norb/")]) == 0
    folder = root / "small_norb"
    assert sorted(p.name for p in folder.iterdir()) == sorted(r.split("/")[-1] for r in paths.SMALLNORB_FILES)
    data = get("smallnorb", root=root, test_grid=NORB_GRID)
    assert np.array_equal(data.index.rows(written["features"]), np.arange(len(written["features"])))
    # info: present, official, checksum not pinned
    assert main(["data", "info", "smallnorb", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "source: official" in out and "checksum: not pinned" in out and '"instance": 10' in out


def test_smallnorb_interrupted_download_resumes(server, tmp_path):  # noqa: F811
    _serve_norb(server, tmp_path)
    third = "/norb/" + paths.SMALLNORB_FILES[2].split("/")[-1] + ".gz"
    server.modes[third] = "cut-once"
    root = tmp_path / "root"
    with pytest.raises(DataFileError, match="run the same command again to resume"):
        download("smallnorb", root, url=server.url("/norb"), progress=False)
    folder = root / "small_norb"
    assert len([p for p in folder.iterdir() if p.suffix == ".mat"]) == 2  # the first two are done
    assert (folder / (third.split("/")[-1] + ".part")).is_file()
    fetched_before = len(server.ranges)
    download("smallnorb", root, url=server.url("/norb"), progress=False)
    assert server.ranges[fetched_before] is not None  # resumed with a Range request
    assert len(server.ranges) - fetched_before == 4  # files already present are not fetched again
    assert not [p for p in folder.iterdir() if p.suffix != ".mat"]
    get("smallnorb", root=root, test_grid=NORB_GRID)


def test_smallnorb_garbage_is_rejected_and_removed(server, tmp_path):  # noqa: F811
    _serve_norb(server, tmp_path)
    first = "/norb/" + paths.SMALLNORB_FILES[0].split("/")[-1] + ".gz"
    server.files[first] = b"<html>moved</html>"
    root = tmp_path / "root"
    with pytest.raises(DataFileError, match="not a valid gzip file"):
        download("smallnorb", root, url=server.url("/norb/"), progress=False)
    assert list((root / "small_norb").iterdir()) == []
    server.files[first] = gzip.compress(b"\x00" * 64)  # a gzip, but not a binary matrix
    with pytest.raises(DataFileError, match="binary-matrix"):
        download("smallnorb", root, url=server.url("/norb/"), progress=False)
    assert list((root / "small_norb").iterdir()) == []


def test_cars3d_archive_extracts_only_the_cars_mat_files(server, tmp_path):  # noqa: F811
    meshes = cars_meshes()
    archive = tmp_path / "nips2015-analogy-data.tar.gz"
    write_cars_archive(archive, meshes, extra={"data/sprites/sprite_001.mat": b"x", "data/README": b"y"})
    # the real members plus a symlink member posing as a .mat file (never extracted)
    link = tarfile.TarInfo("data/cars/link.mat")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    combined = tmp_path / "combined.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(combined, "w:gz") as out:
        for member in src:
            out.addfile(member, src.extractfile(member) if member.isfile() else None)
        out.addfile(link)
    server.files["/files/nips2015-analogy-data.tar.gz"] = combined.read_bytes()
    root = tmp_path / "root"
    path = download("cars3d", root, url=server.url("/files/nips2015-analogy-data.tar.gz"), progress=False)
    assert path == root / "cars"
    assert sorted(p.name for p in path.iterdir()) == sorted(meshes)
    assert sorted(p.name for p in root.iterdir()) == ["cars"]  # archive and staging removed
    data = get("cars3d", root=root, test_grid=CARS_GRID)
    assert data.object_files == sorted(meshes)


def test_cars3d_wrong_archive(server, tmp_path):  # noqa: F811
    archive = tmp_path / "other.tar.gz"
    write_cars_archive(archive, {}, extra={"data/shapes/a.mat": b"z"})
    server.files["/a.tar.gz"] = archive.read_bytes()
    with pytest.raises(DataFileError, match=r"no cars/\*\.mat files"):
        download("cars3d", tmp_path / "root", url=server.url("/a.tar.gz"), progress=False)
    assert list((tmp_path / "root").iterdir()) == []
    server.files["/b.tar.gz"] = archive.read_bytes()[:-40]
    with pytest.raises(DataFileError, match=r"corrupted tar\.gz"):
        download("cars3d", tmp_path / "root", url=server.url("/b.tar.gz"), progress=False)
    assert list((tmp_path / "root").iterdir()) == []


def test_mpi3d_npz_download(server, tmp_path, monkeypatch):  # noqa: F811
    images = write_mpi3d(tmp_path / "src.npz")
    server.files["/mpi3d_real.npz"] = (tmp_path / "src.npz").read_bytes()
    monkeypatch.setenv("DISENTBENCH_URL_MPI3D_REAL", server.url("/mpi3d_real.npz"))
    # the layout check refuses a file of neither official grid, and deletes it
    with pytest.raises(DataFileError, match="holds 72 images"):
        download("mpi3d_real", tmp_path / "root", progress=False)
    assert list((tmp_path / "root" / "mpi3d_real").iterdir()) == []
    monkeypatch.setattr(mpi3d, "GRIDS", (*mpi3d.GRIDS, MPI3D_GRID))  # explicit test hook
    path = download("mpi3d_real", tmp_path / "root", progress=False)
    assert path == tmp_path / "root" / "mpi3d_real" / "mpi3d_real.npz"
    data = get("mpi3d_real", root=tmp_path / "root", test_grid=MPI3D_GRID)
    assert np.array_equal(data.images, images)


def test_remote_table():
    norb = remotes("smallnorb")
    assert len(norb) == 6 and all(r.sha256 is None and r.unpack == "gunzip" for r in norb)
    assert norb[0].url == (
        "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/smallnorb-5x46789x9x18x6x2x96x96-training-dat.mat.gz"
    )
    assert remotes("cars3d")[0].url == "http://www.scottreed.info/files/nips2015-analogy-data.tar.gz"
    assert remotes("mpi3d_toy")[0].url.endswith("/mpi3d_disentanglement_dataset/data/mpi3d_toy.npz")
    assert remotes("smallnorb", url="http://127.0.0.1:1/m")[5].url.startswith(
        "http://127.0.0.1:1/m/smallnorb-"
    )
