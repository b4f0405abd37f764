"""Download the official data files (docs/reference/data.md §4.7): streamed, resumable, verified, atomic.

The bytes go to ``<final>.part``; an interrupted download leaves the ``.part`` file behind and
the next call resumes it with an HTTP ``Range`` request. Only a file whose size and checksum
match (where known: SHA-256 for ``3dshapes.h5``, the git blob id for the dSprites npz) and
whose layout the loader accepts is renamed onto the final path, so a reader never sees a partial
or corrupted data file. A mismatching file is deleted and reported.

Some sources are fetched in a packed form and unpacked (docs/reference/data.md §4.6): SmallNORB's six files
come gzipped (``gunzip``), Cars3D's ``.mat`` files come in ``nips2015-analogy-data.tar.gz``
(``untar``: its ``data/cars/*.mat`` members are extracted into ``cars/`` and the archive is
deleted, as the reference's download script does). No official checksum is published for
SmallNORB, Cars3D or MPI3D, and none could be computed here (no access to the sources), so their
``sha256`` is ``None``: the download logs the SHA-256 it got, and ``data info`` says the checksum
is not pinned.

URLs can be overridden per call (``url=``) or per file by the environment variable
``DISENTBENCH_URL_<NAME>`` (e.g. ``DISENTBENCH_URL_DSPRITES``), for mirrors and for tests. For
SmallNORB (six files) the override is the base URL the six ``.mat.gz`` names are appended to.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import logging
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
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
    #: How the fetched file becomes the data file: "" (as is), "gunzip" or "untar" (Cars3D).
    unpack: str = ""
    #: Where the data file lands relative to the data root ("": the source's ``relpath``).
    relpath: str = ""


_NORB_URL = "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
_MPI3D_URL = "https://storage.googleapis.com/mpi3d_disentanglement_dataset/data/"

#: Multi-file sources: one remote per file (docs/reference/data.md §4.6, §4.7).
REMOTE_PARTS: dict[str, tuple[Remote, ...]] = {
    "smallnorb": tuple(
        Remote(_NORB_URL + Path(rel).name + ".gz", unpack="gunzip", relpath=rel)
        for rel in paths.SMALLNORB_FILES
    ),
}

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
    "smallnorb": REMOTE_PARTS["smallnorb"][0],
    "cars3d": Remote("http://www.scottreed.info/files/nips2015-analogy-data.tar.gz", unpack="untar"),
    # The reference's toy URL is dead; docs/reference/data.md §4.6 gives this bucket's toy file.
    # The realistic and real names follow third-party loaders of the same bucket (unverified
    # here; the real variant is published as ``real.npz``). Override with --url if they moved.
    "mpi3d_toy": Remote(_MPI3D_URL + "mpi3d_toy.npz"),
    "mpi3d_realistic": Remote(_MPI3D_URL + "mpi3d_realistic.npz"),
    "mpi3d_real": Remote(_MPI3D_URL + "real.npz"),
}

_CHUNK = 1 << 20
_USER_AGENT = "disentbench-data-download/1 (+https://github.com/)"


def remote(name: str, url: str | None = None) -> Remote:
    """The remote of ``name`` with the URL overridden by ``url`` or ``$DISENTBENCH_URL_<NAME>``.

    For a multi-file source: its first file (see :func:`remotes`).
    """
    return remotes(name, url)[0]


def remotes(name: str, url: str | None = None) -> tuple[Remote, ...]:
    """Every remote file of ``name``, URLs overridden as :func:`remote` says."""
    src = paths.source(name)
    override = url or os.environ.get(f"DISENTBENCH_URL_{src.name.upper()}")
    if src.name in REMOTE_PARTS:
        parts = REMOTE_PARTS[src.name]
        if not override:
            return parts
        base = override if override.endswith("/") else override + "/"
        return tuple(replace(p, url=base + p.url.rsplit("/", 1)[-1]) for p in parts)
    spec = REMOTES[src.name]
    return (replace(spec, url=override),) if override else (spec,)


def pinned_sha256(name: str) -> str | None:
    """The SHA-256 pinned for the (first) remote file of ``name``; ``None`` where unknown."""
    return REMOTES[paths.source(name).name].sha256


def download(
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    expected: Remote | tuple[Remote, ...] | None = None,
    force: bool = False,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download the source ``name`` (``dsprites``, ``shapes3d``, ``scream``, ``smallnorb``,
    ``cars3d``, ``mpi3d_*``) to the data root.

    ``expected`` replaces the whole remote (URLs and checksums; used by tests and mirrors of other
    files). Returns the final path; files already present are kept unless ``force``. Each file of
    a multi-file source is completed on its own, so an interrupted download resumes where it
    stopped. (A SmallNORB file is checked on its own, as a complete binary matrix; the feature
    grid of the six files together is checked when the data set is loaded.)
    """
    src = paths.source(name)
    if expected is None:
        specs = remotes(src.name, url)
    else:
        specs = (expected,) if isinstance(expected, Remote) else tuple(expected)
    base = paths.data_root(root)
    for spec in specs:
        _download_one(src, spec, base, force=force, progress=progress, timeout=timeout)
    return paths.default_path(src.name, root)


def _download_one(
    src: paths.SourceFile, spec: Remote, base: Path, *, force: bool, progress: bool, timeout: float
) -> None:
    """Fetch, verify and unpack one remote file onto its final path under ``base``."""
    target = base / (spec.relpath or src.relpath)
    if target.exists() and not force:
        log.info("%s already present at %s", src.name, target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # The packed file keeps its remote name (e.g. ``…-dat.mat.gz.part``) until it is unpacked.
    fetched_name = spec.url.rsplit("/", 1)[-1] if spec.unpack else target.name
    part = target.with_name(fetched_name + ".part")
    _fetch(spec.url, part, progress=progress, timeout=timeout)
    try:
        _verify(part, spec, src.name)
        if not spec.unpack and not src.parts:
            check_layout(src.name, part)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if spec.unpack == "gunzip":
        _gunzip(part, target)
        if src.name == "smallnorb":
            _check_or_delete(target)
    elif spec.unpack == "untar":
        _untar_cars(part, target, force=force)
    else:
        make_readable(part)
        os.replace(part, target)
    log.info("downloaded %s to %s", src.name, target)


def _gunzip(archive: Path, target: Path) -> None:
    """Decompress ``archive`` onto ``target`` atomically; delete the archive either way."""
    from disentbench.io import atomic_path

    try:
        with atomic_path(target) as tmp, gzip.open(archive, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)
    except (OSError, EOFError) as exc:
        raise DataFileError(f"{archive}: not a valid gzip file ({exc}); it was deleted") from None
    finally:
        archive.unlink(missing_ok=True)


def _check_or_delete(path: Path) -> None:
    """A SmallNORB file must at least be a complete binary matrix; otherwise it is deleted."""
    from disentbench.datasets.smallnorb import read_header

    try:
        read_header(path)
    except DataFileError:
        path.unlink(missing_ok=True)
        raise


def _untar_cars(archive: Path, target: Path, *, force: bool) -> None:
    """Extract the archive's ``cars/*.mat`` members into the directory ``target``, atomically.

    Only regular files named ``<...>/cars/<name>.mat`` are extracted, each under its base name,
    so no member can write outside ``target``. The archive is deleted afterwards.
    """
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    count = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = member.name.replace("\\", "/").split("/")
                if len(parts) < 2 or parts[-2] != "cars" or not parts[-1].endswith(".mat"):
                    continue
                if not member.isfile() or parts[-1] in ("", ".", ".."):
                    continue
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source, open(staging / parts[-1], "wb") as out:
                    shutil.copyfileobj(source, out, _CHUNK)
                count += 1
        if count == 0:
            raise DataFileError(f"{archive}: no cars/*.mat files in the archive; not the Cars3D archive")
        for path in staging.iterdir():
            make_readable(path)
        os.chmod(staging, 0o755)
        if target.exists() and force:
            shutil.rmtree(target)
        os.replace(staging, target)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataFileError(
            f"{archive}: truncated or corrupted tar.gz archive ({exc}); it was deleted"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        archive.unlink(missing_ok=True)
    log.info("extracted %d Cars3D .mat files into %s", count, target)


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
    """Size and checksum (where known; otherwise the SHA-256 obtained is logged)."""
    size = path.stat().st_size
    if spec.size is not None and size != spec.size:
        raise DataFileError(f"downloaded {name} from {spec.url} has {size} bytes; expected {spec.size}")
    if not (spec.sha256 or spec.git_blob_sha1):
        log.warning(
            "no checksum is pinned for %s (%s); its sha256 is %s: compare it with a trusted copy",
            name,
            spec.url,
            cache_sha256(path),
        )
    else:
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
    elif name == "smallnorb":
        from disentbench.datasets.smallnorb import read_layout as read_norb_layout

        read_norb_layout(path)
    elif name in ("mpi3d_toy", "mpi3d_realistic", "mpi3d_real"):
        from disentbench.datasets.mpi3d import read_layout as read_npz_layout

        read_npz_layout(path)
    elif name == "cars3d":
        pass  # checked file by file when the cache is built (183 MATLAB files)
    else:
        raise UserError(f"unknown data file {name!r}")


def cache_sha256(path: Path) -> str:
    """Hex SHA-256 of a file (the digest a future release can pin)."""
    from disentbench.datasets.cache import sha256_of

    return sha256_of(path)


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
