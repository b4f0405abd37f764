"""``disentbench data render|download|info`` through the real command line entry point."""

from __future__ import annotations

import json
import sys
import types

import h5py
import numpy as np
import pytest
from _datasets_helpers import write_h5

from disentbench.cli import main
from disentbench.datasets import get, prepare
from disentbench.datasets.render.dsprites import FILE_NAME


def test_render_then_info(tmp_path, capsys):
    assert main(["data", "render", "dsprites", "--root", str(tmp_path), "--reduced", "--workers", "1"]) == 0
    path = tmp_path / "dsprites" / FILE_NAME
    assert capsys.readouterr().out.strip() == str(path)
    assert get("dsprites_full", root=tmp_path).factors_num_values == [3, 6, 10, 8, 8]
    assert main(["data", "info", "noisy_dsprites", "--root", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["path"] == str(path) and report["source"] == "rendered" and report["reduced"] is True
    assert report["factors"] == {"shape": 3, "scale": 6, "orientation": 10, "posX": 8, "posY": 8}
    assert "no official checksum" in report["checksum"]
    # refuses to overwrite
    assert main(["data", "render", "dsprites", "--root", str(tmp_path), "--reduced"]) == 2
    assert "--force" in capsys.readouterr().err


def test_info_official_shapes3d_checksum_status(tmp_path, capsys):
    write_h5(tmp_path / "3dshapes" / "3dshapes.h5")
    assert main(["data", "info", "shapes3d", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "source: official" in out and "MISMATCH: sha256 differs" in out
    assert 'factors: {"floor_hue": 2, "wall_hue": 3' in out


def test_missing_file_exit_2(tmp_path, capsys):
    assert main(["data", "info", "dsprites", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "disentbench data download dsprites" in err and "disentbench data render dsprites" in err


def test_bad_arguments(tmp_path, capsys):
    assert main(["data", "render", "scream", "--root", str(tmp_path)]) == 2
    assert "cannot be rendered" in capsys.readouterr().err
    assert main(["data", "render", "dsprites", "--root", str(tmp_path), "--workers", "0"]) == 2
    assert main(["data", "info", "mnist", "--root", str(tmp_path)]) == 2
    assert "unknown data file 'mnist'" in capsys.readouterr().err


def test_render_shapes3d_calls_the_renderer(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_render(path, *, reduced=False, workers=None, progress=True):
        calls.append((path, reduced, workers))
        write_h5(path, attrs={"renderer": "fake", "renderer_version": "0", "reduced": reduced})
        return path

    module = types.ModuleType("disentbench.datasets.render.shapes3d")
    module.render_shapes3d = fake_render
    monkeypatch.setitem(sys.modules, "disentbench.datasets.render.shapes3d", module)
    assert main(["data", "render", "shapes3d", "--root", str(tmp_path), "--reduced", "--workers", "2"]) == 0
    assert calls == [(tmp_path / "3dshapes" / "3dshapes.h5", True, 2)]
    with h5py.File(tmp_path / "3dshapes" / "3dshapes.h5") as fh:
        assert fh.attrs["renderer"] == "fake"


def test_download_scream_via_url_override(tmp_path, monkeypatch, capsys):
    import io

    from PIL import Image
    from test_download import _Server  # the local HTTP server of the download tests

    buf = io.BytesIO()
    Image.fromarray(np.full((300, 240, 3), 128, dtype=np.uint8)).save(buf, format="JPEG")
    server = _Server()
    try:
        server.files["/scream.jpg"] = buf.getvalue()
        monkeypatch.setenv("DISENTBENCH_URL_SCREAM", server.url("/scream.jpg"))
        assert main(["data", "download", "scream", "--root", str(tmp_path)]) == 0
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
    assert (tmp_path / "scream" / "scream.jpg").read_bytes() == buf.getvalue()
    assert main(["data", "info", "scream", "--root", str(tmp_path)]) == 0
    assert "thumbnail_size: [219, 274]" in capsys.readouterr().out


def test_prepare_renders_once_and_logs(tmp_path, caplog):
    with caplog.at_level("WARNING"):
        data = prepare("color_dsprites", root=tmp_path, render_if_missing=True, reduced=True, workers=1)
    assert "rendering the offline stand-in" in caplog.text
    assert data.provenance["source"] == "rendered" and data.observation_shape == (3, 64, 64)
    path = tmp_path / "dsprites" / FILE_NAME
    mtime = path.stat().st_mtime_ns
    caplog.clear()
    with caplog.at_level("WARNING"):
        prepare("dsprites_full", root=tmp_path, render_if_missing=True, reduced=True)
    assert path.stat().st_mtime_ns == mtime and "rendering" not in caplog.text


def test_prepare_without_render_raises(tmp_path):
    from disentbench.errors import DataFileError

    with pytest.raises(DataFileError, match="data render dsprites"):
        prepare("dsprites_full", root=tmp_path)


def test_concurrent_prepare_renders_once(tmp_path, monkeypatch):
    import threading
    import time

    import disentbench.datasets as datasets

    calls = []
    real = datasets.render_source

    def slow_render(*args, **kwargs):
        calls.append(args)
        time.sleep(0.3)  # let the other caller reach the lock
        return real(*args, **kwargs)

    monkeypatch.setattr(datasets, "render_source", slow_render)
    results = []
    threads = [
        threading.Thread(
            target=lambda n=n: results.append(prepare(n, tmp_path, True, reduced=True, workers=1))
        )
        for n in ("dsprites_full", "noisy_dsprites")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 2


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("smallnorb", "small_norb/smallnorb-5x46789x9x18x6x2x96x96-training-dat.mat"),
        ("cars3d", "cars"),
        ("mpi3d_toy", "mpi3d_toy/mpi3d_toy.npz"),
        ("mpi3d_real", "mpi3d_real/mpi3d_real.npz"),
    ],
)
def test_info_without_the_official_file_says_where_and_how(tmp_path, capsys, name, where):
    assert main(["data", "info", name, "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / where).rsplit("/", 1)[0] in err and f"`disentbench data download {name}`" in err
    assert "data render" not in err  # no stand-in exists for these


def test_prepare_never_renders_official_only_data(tmp_path):
    from disentbench.errors import DataFileError

    with pytest.raises(DataFileError, match="disentbench data download cars3d"):
        prepare("cars3d", root=tmp_path, render_if_missing=True)


def test_info_cars3d_checksum_not_pinned(tmp_path, capsys):
    from _datasets_helpers import cars_meshes, write_cars_dir

    write_cars_dir(tmp_path / "cars", cars_meshes())
    assert main(["data", "info", "cars3d", "--root", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == 4 and report["source"] == "official"
    assert report["checksum"].startswith("not pinned") and len(report["sha256"]) == 64
    assert report["factors"] == {"elevation": 4, "azimuth": 24, "object": 183}
