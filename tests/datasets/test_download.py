"""Downloads against an HTTP server on 127.0.0.1 serving small files in the official formats."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
from collections.abc import Iterator

import numpy as np
import pytest
from _datasets_helpers import write_h5
from PIL import Image

from disentbench.datasets import get
from disentbench.datasets.download import Remote, download, remote
from disentbench.datasets.render.dsprites import FILE_NAME
from disentbench.errors import DataFileError


class _Server:
    """Files by URL path; modes per path: 'ok', 'cut-once' (half the body, then hang up), 'no-range'."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.modes: dict[str, str] = {}
        self.ranges: list[str | None] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                mode = server.modes.get(self.path, "ok")
                rng = self.headers.get("Range")
                server.ranges.append(rng)
                start = 0
                if rng and mode != "no-range":
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if mode == "cut-once":
                    server.modes[self.path] = "ok"
                    self.wfile.write(body[start : start + (len(body) - start) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body[start:])

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{name}"


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _blob(data: bytes) -> str:
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()


def test_dsprites_download_verified_and_loadable(server, dsprites_root, tmp_path):
    body = (dsprites_root / "dsprites" / FILE_NAME).read_bytes()
    server.files["/d.npz"] = body
    expected = Remote(server.url("/d.npz"), git_blob_sha1=_blob(body))
    path = download("dsprites", tmp_path, expected=expected, progress=False)
    assert path == tmp_path / "dsprites" / FILE_NAME and path.read_bytes() == body
    assert not path.with_name(path.name + ".part").exists()
    assert get("dsprites_full", root=tmp_path).factors_num_values == [3, 6, 10, 8, 8]
    # already present: kept, not fetched again
    n = len(server.ranges)
    assert download("dsprites", tmp_path, expected=expected, progress=False) == path
    assert len(server.ranges) == n


def test_shapes3d_sha256_and_size(server, tmp_path):
    src = tmp_path / "src.h5"
    write_h5(src)
    body = src.read_bytes()
    server.files["/3dshapes.h5"] = body
    expected = Remote(server.url("/3dshapes.h5"), size=len(body), sha256=hashlib.sha256(body).hexdigest())
    path = download("shapes3d", tmp_path / "root", expected=expected, progress=False)
    assert path == tmp_path / "root" / "3dshapes" / "3dshapes.h5"
    assert get("shapes3d", root=tmp_path / "root").num_factors == 6


def test_corrupted_download_is_deleted(server, tmp_path):
    src = tmp_path / "src.h5"
    write_h5(src)
    good = src.read_bytes()
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 0xFF
    server.files["/3dshapes.h5"] = bytes(bad)
    expected = Remote(server.url("/3dshapes.h5"), size=len(good), sha256=hashlib.sha256(good).hexdigest())
    root = tmp_path / "root"
    with pytest.raises(DataFileError, match=r"sha256 .* expected .*deleted"):
        download("shapes3d", root, expected=expected, progress=False)
    assert list((root / "3dshapes").iterdir()) == []  # neither the final file nor a .part


def test_wrong_size_is_reported(server, tmp_path):
    server.files["/x.h5"] = b"short"
    expected = Remote(server.url("/x.h5"), size=10, sha256="0" * 64)
    with pytest.raises(DataFileError, match="has 5 bytes; expected 10"):
        download("shapes3d", tmp_path, expected=expected, progress=False)
    assert not (tmp_path / "3dshapes" / "3dshapes.h5").exists()


def test_html_instead_of_data_fails_layout_check(server, tmp_path):
    server.files["/d.npz"] = b"<html>rate limited</html>"
    with pytest.raises(DataFileError, match="corrupted dSprites npz"):
        download("dsprites", tmp_path, expected=Remote(server.url("/d.npz")), progress=False)
    assert list((tmp_path / "dsprites").iterdir()) == []


def test_interrupted_download_resumes_with_range(server, dsprites_root, tmp_path):
    body = (dsprites_root / "dsprites" / FILE_NAME).read_bytes()
    server.files["/d.npz"] = body
    server.modes["/d.npz"] = "cut-once"
    expected = Remote(server.url("/d.npz"), git_blob_sha1=_blob(body))
    final = tmp_path / "dsprites" / FILE_NAME
    part = final.with_name(final.name + ".part")
    with pytest.raises(DataFileError, match=r"interrupted .* run the same command again to resume"):
        download("dsprites", tmp_path, expected=expected, progress=False)
    assert not final.exists()
    assert part.stat().st_size == len(body) // 2
    download("dsprites", tmp_path, expected=expected, progress=False)
    assert server.ranges[-1] == f"bytes={len(body) // 2}-"
    assert final.read_bytes() == body and not part.exists()


def test_server_ignoring_range_restarts(server, tmp_path):
    img = Image.fromarray(np.random.RandomState(0).randint(0, 256, (300, 250, 3)).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    body = buf.getvalue()
    server.files["/s.jpg"] = body
    server.modes["/s.jpg"] = "no-range"
    final = tmp_path / "scream" / "scream.jpg"
    final.parent.mkdir(parents=True)
    final.with_name("scream.jpg.part").write_bytes(body[:100])  # a stale partial file
    path = download("scream", tmp_path, url=server.url("/s.jpg"), progress=False)
    assert path.read_bytes() == body


def test_http_error(server, tmp_path):
    with pytest.raises(DataFileError, match="HTTP 404"):
        download("scream", tmp_path, url=server.url("/missing.jpg"), progress=False)


def test_url_override_by_environment(monkeypatch):
    monkeypatch.setenv("DISENTBENCH_URL_SHAPES3D", "http://127.0.0.1:1/mirror.h5")
    spec = remote("shapes3d")
    assert spec.url == "http://127.0.0.1:1/mirror.h5"
    assert spec.sha256 == "0a0f6ed98baff276a50f3a081a7434d788da63cb135a98189b2a5b5769be1785"
    assert spec.size == 267_573_662
    monkeypatch.delenv("DISENTBENCH_URL_SHAPES3D")
    assert remote("shapes3d").url == "https://storage.googleapis.com/3d-shapes/3dshapes.h5"
    assert remote("dsprites_full").git_blob_sha1 == "d98996d3f8ee1550e06b9d4ed78d0beb478910d5"
