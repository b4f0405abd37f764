"""Pixel caches shared by every process on a machine (README.md).

The source files are compressed (dSprites npz) or chunked (HDF5); decoding them per process
would hold one private copy of the pixels per Ray worker. Instead the first load writes the pixels
once, as a plain ``.npy`` file (bit-packed for dSprites, raw uint8 otherwise), and every process
``np.memmap``s it read-only, so all of them share the same page-cache pages.

A cache is keyed by its source file's size and modification time (nanoseconds), so a replaced
source file is never served stale; caches of an older version of the same file are removed when
a new one is written. Caches are written atomically (``atomic_path``) under an advisory lock,
so concurrent first loads build the cache once and never see a half-written file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from disentbench.io import atomic_path, write_json_atomic

log = logging.getLogger(__name__)

#: Bump when the layout of a cache file changes.
CACHE_VERSION = 1


def source_key(path: Path, related: Sequence[Path] = ()) -> str:
    """Identity of a source file's content as far as the file system tells: size and mtime.

    ``related``: further files the cache is derived from (SmallNORB's six files, Cars3D's 183);
    their names, sizes and mtimes enter the key through a short digest.
    """
    st = path.stat()
    key = f"v{CACHE_VERSION}-{st.st_size}-{st.st_mtime_ns}"
    if related:
        digest = hashlib.sha1()
        for other in related:
            other_st = other.stat()
            digest.update(f"{other.name}\0{other_st.st_size}\0{other_st.st_mtime_ns}\n".encode())
        key += f"-{digest.hexdigest()[:12]}"
    return key


def cache_dir_for(path: Path) -> Path:
    """Directory for the caches of ``path``: beside it, or the user cache if that is read-only."""
    if os.access(path.parent, os.W_OK):
        return path.parent
    from disentbench.datasets.paths import data_root

    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    fallback = data_root() / "cache" / digest
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def cache_path(path: Path, kind: str, suffix: str = ".npy", related: Sequence[Path] = ()) -> Path:
    """Cache file of kind ``kind`` for the current version of ``path`` (and ``related``)."""
    return cache_dir_for(path) / f".{path.name}.{source_key(path, related)}.{kind}{suffix}"


@contextlib.contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """An exclusive advisory lock (released on exit, also when the process dies)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _remove_stale(path: Path, kind: str, suffix: str, keep: Path) -> None:
    """Delete caches of older versions of ``path`` (processes that map them keep their pages)."""
    for old in keep.parent.glob(f".{path.name}.v*.{kind}{suffix}"):
        if old != keep:
            with contextlib.suppress(OSError):
                old.unlink()


def ensure_npy(path: Path, kind: str, build: Callable[[Path], None], related: Sequence[Path] = ()) -> Path:
    """The ``.npy`` cache of ``kind`` for ``path``, built by ``build(tmp_path)`` if missing.

    ``build`` writes a complete ``.npy`` file at the path it is given (e.g. with
    ``np.lib.format.open_memmap``); it is renamed into place only when ``build`` returns.
    """
    target = cache_path(path, kind, related=related)
    if target.is_file():
        return target
    with locked(target.parent / f".{path.name}.lock"):
        if target.is_file():  # built by another process while we waited
            return target
        log.info("building %s cache of %s (once per machine) at %s", kind, path, target)
        with atomic_path(target) as tmp:
            build(tmp)
        _remove_stale(path, kind, ".npy", target)
    return target


class NpyWriter:
    """Write a C-ordered ``.npy`` file row block by row block with plain writes.

    Plain writes, not a writable memory map: dirty pages of a map count in the writer's RSS
    (and Ray's memory monitor reads RSS), page-cache pages of written files do not.
    """

    def __init__(self, path: Path, dtype: np.dtype | type, shape: tuple[int, ...]):
        self.shape, self.dtype = shape, np.dtype(dtype)
        self.rows = 0
        self._fh = open(path, "wb")
        np.lib.format.write_array_header_1_0(
            self._fh,
            {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False, "shape": shape},
        )

    def write(self, block: np.ndarray) -> None:
        """Append rows; ``block`` must have the file's dtype and row shape."""
        if block.dtype != self.dtype or block.shape[1:] != self.shape[1:]:
            raise ValueError(f"block {block.dtype} {block.shape} does not fit {self.dtype} {self.shape}")
        self._fh.write(np.ascontiguousarray(block).tobytes())
        before, self.rows = self.rows, self.rows + block.shape[0]
        # Progress of a long build (a minute or more for SmallNORB, Cars3D, MPI3D): every tenth.
        tenth = max(1, self.shape[0] // 10)
        if self.rows // tenth > before // tenth and self.rows < self.shape[0]:
            log.info("cache %s: %d of %d rows written", self._fh.name, self.rows, self.shape[0])

    def close(self) -> None:
        """Flush to disk; raises if fewer or more rows were written than the header says."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        if self.rows != self.shape[0]:
            raise ValueError(f"wrote {self.rows} rows, expected {self.shape[0]}")

    def __enter__(self) -> NpyWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._fh.close()


def open_memmap(path: Path) -> np.ndarray:
    """A read-only memory map of a cache ``.npy`` file."""
    return np.load(path, mmap_mode="r", allow_pickle=False)


def map_pixels(
    path: Path, offset: int | None, shape: tuple[int, ...], build: Callable[[Path], None]
) -> tuple[Path, np.ndarray]:
    """``(pixel file, read-only uint8 map)`` of the images stored in ``path``.

    An uncompressed array (``offset`` of its data in the file) is mapped in place; otherwise the
    pixels are decoded once per machine by ``build`` into a shared ``.npy`` cache, which is mapped.
    """
    if offset is not None:
        return path, np.memmap(path, dtype=np.uint8, mode="r", offset=offset, shape=shape)
    pixel_file = ensure_npy(path, "u8", build)
    return pixel_file, open_memmap(pixel_file)


def cached_json(
    path: Path, kind: str, compute: Callable[[], dict[str, Any]], related: Sequence[Path] = ()
) -> dict[str, Any]:
    """A small JSON fact about ``path`` (e.g. its checksum), computed once per file version."""
    target = cache_path(path, kind, suffix=".json", related=related)
    if target.is_file():
        try:
            with open(target, encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            pass  # unreadable cache: recompute below
    value = compute()
    write_json_atomic(target, value)
    _remove_stale(path, kind, ".json", target)
    return value


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    """Hex SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def git_blob_sha1_of(path: Path, chunk: int = 1 << 22) -> str:
    """``git hash-object`` of a file (the checksum GitHub-hosted files are known by)."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def manifest_sha256(files: Sequence[Path]) -> str:
    """One SHA-256 over several files (of their ``name  sha256`` lines), cached per file version.

    The content digest of a multi-file source (SmallNORB's six files, Cars3D's 183).
    """

    def compute() -> dict[str, Any]:
        lines = "".join(f"{p.name}  {sha256_of(p)}\n" for p in files)
        return {"sha256": hashlib.sha256(lines.encode()).hexdigest()}

    return cached_json(files[0], "manifest", compute, related=files[1:])["sha256"]
