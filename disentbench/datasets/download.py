"""Download the official data files (data.md §4.7): streamed, resumable, verified, atomic.

The bytes go to ``<final>.part``; an interrupted download leaves the ``.part`` file behind and
the next call resumes it with an HTTP ``Range`` request. Only a file whose size and checksum
match (where known: SHA-256 for ``3dshapes.h5``, the git blob id for the dSprites npz) and
whose layout the loader accepts is renamed onto the final path, so a reader never sees a partial
or corrupted data file. A mismatching file is deleted and reported.

URLs can be overridden per call (``url=``) or per file by the environment variable
``DISENTBENCH_URL_<NAME>`` (e.g. ``DISENTBENCH_URL_DSPRITES``), for mirrors and for tests.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from disentbench.datasets import paths
from disentbench.errors import DataFileError, UserError
from disentbench.io import make_readable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Remote:
    """Where an official file lives and what it must hash to (``None``: not documented)."""

    url: str
    size: int | None = None
    sha256: str | None = None
    git_blob_sha1: str | None = None


REMOTES: dict[str, Remote] = {
    "dsprites": Remote(
        "https://github.com/deepmind/dsprites-dataset/raw/master/"
        "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz",
        git_blob_sha1="d98996d3f8ee1550e06b9d4ed78d0beb478910d5",
    ),
    "shapes3d": Remote(
        "https://storage.googleapis.com/3d-shapes/3dshapes.h5",
        size=267_573_662,
        sha256="0a0f6ed98baff276a50f3a081a7434d788da63cb135a98189b2a5b5769be1785",
    ),
    "scream": Remote("https://upload.wikimedia.org/wikipedia/commons/f/f4/The_Scream.jpg"),
}

_CHUNK = 1 << 20
_USER_AGENT = "disentbench-data-download/1 (+https://github.com/)"


def remote(name: str, url: str | None = None) -> Remote:
    """The remote of ``name`` with the URL overridden by ``url`` or ``$DISENTBENCH_URL_<NAME>``."""
    src = paths.source(name)
    base = REMOTES[src.name]
    override = url or os.environ.get(f"DISENTBENCH_URL_{src.name.upper()}")
    if override:
        return Remote(override, base.size, base.sha256, base.git_blob_sha1)
    return base


def download(
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    expected: Remote | None = None,
    force: bool = False,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download the source file ``name`` (``dsprites``, ``shapes3d``, ``scream``) to the data root.

    ``expected`` replaces the whole remote (URL and checksums; used by tests and mirrors of other
    files). Returns the final path; an existing final file is kept unless ``force``.
    """
    src = paths.source(name)
    spec = expected or remote(src.name, url)
    target = paths.default_path(src.name, root)
    if target.is_file() and not force:
        log.info("%s already present at %s", src.name, target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    _fetch(spec.url, part, progress=progress, timeout=timeout)
    try:
        _verify(part, spec, src.name)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    make_readable(part)
    os.replace(part, target)
    log.info("downloaded %s to %s", src.name, target)
    return target


def _fetch(url: str, part: Path, *, progress: bool, timeout: float) -> None:
    """Stream ``url`` into ``part``, resuming from its current size with a Range request."""
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to fetch: the .part file is complete
            return
        raise DataFileError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DataFileError(f"download of {url} failed: {exc}") from None
    with response:
        resumed = have > 0 and response.status == 206
        if have and not resumed:
            log.info("server ignored the Range request; restarting %s from the beginning", url)
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        bar = _bar(total, have, url, progress)
        got = have
        try:
            with open(part, "ab" if resumed else "wb") as fh:
                while block := response.read(_CHUNK):
                    fh.write(block)
                    got += len(block)
                    bar.update(len(block))
                fh.flush()
                os.fsync(fh.fileno())
        except (OSError, http.client.HTTPException) as exc:
            raise DataFileError(
                f"download of {url} interrupted after {got} bytes ({exc}); the partial file {part} "
                "is kept: run the same command again to resume"
            ) from None
        finally:
            bar.close()
        if total is not None and got < total:
            raise DataFileError(
                f"download of {url} interrupted after {got} of {total} bytes; the partial file "
                f"{part} is kept: run the same command again to resume"
            )


def _verify(path: Path, spec: Remote, name: str) -> None:
    """Size and checksum (where known), then the loader's own layout check."""
    size = path.stat().st_size
    if spec.size is not None and size != spec.size:
        raise DataFileError(f"downloaded {name} from {spec.url} has {size} bytes; expected {spec.size}")
    if spec.sha256 or spec.git_blob_sha1:
        sha256 = hashlib.sha256()
        blob = hashlib.sha1(f"blob {size}\0".encode())
        with open(path, "rb") as fh:
            while block := fh.read(_CHUNK * 4):
                sha256.update(block)
                blob.update(block)
        if spec.sha256 and sha256.hexdigest() != spec.sha256:
            raise DataFileError(
                f"downloaded {name} from {spec.url} has sha256 {sha256.hexdigest()}; expected "
                f"{spec.sha256} (corrupted or not the official file); it was deleted"
            )
        if spec.git_blob_sha1 and blob.hexdigest() != spec.git_blob_sha1:
            raise DataFileError(
                f"downloaded {name} from {spec.url} has git blob id {blob.hexdigest()}; expected "
                f"{spec.git_blob_sha1} (corrupted or not the official file); it was deleted"
            )
    check_layout(name, path)


def check_layout(name: str, path: Path) -> None:
    """Raise ``DataFileError`` unless the file has the layout the loader expects."""
    if name == "dsprites":
        from disentbench.datasets.dsprites import read_layout

        read_layout(path)
    elif name == "shapes3d":
        from disentbench.datasets.shapes3d import read_layout as read_h5_layout

        read_h5_layout(path)
    elif name == "scream":
        from disentbench.datasets.dsprites import load_scream

        load_scream(path)
    else:
        raise UserError(f"unknown data file {name!r}")


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int | None, initial: int, url: str, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1][:40])
