"""Safe file I/O: atomic writes (a reader never sees a half-written file), strict YAML, and
writability checks made before any work starts."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from disentbench.errors import UserError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    The temporary file lives in the same directory so the final ``os.replace`` is atomic on
    POSIX file systems. On any exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates 0600; give the final file the mode a plain open() would have.
        if tmp.exists():
            make_readable(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def make_readable(path: str | os.PathLike[str]) -> None:
    """Give a file the usual ``0o666 & ~umask`` mode (``mkstemp`` creates 0600), so other users
    and processes of the machine can read what we wrote."""
    umask = os.umask(0o022)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically (fsynced before the rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=2, sort_keys=True, allow_nan=True, default=_json_default)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())


def _json_default(value: Any) -> Any:
    """Serialise numpy scalars and arrays, and paths, which ``json`` does not know."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def load_yaml_strict(text: str, source: str) -> Any:
    """``yaml.safe_load`` that rejects a key given twice in one mapping.

    PyYAML keeps the last of duplicate keys silently, so ``beta_vae:`` written twice would drop
    a grid without a word. The error names the key and both lines.
    """
    import yaml

    class _StrictLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key; SafeLoader reports it below
                continue
            if first is not None:
                raise UserError(
                    f"{source}: duplicate key {key!r} at line {line} (first given at line {first})"
                )
            seen[key] = line
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    _StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise UserError(f"{source}: not valid YAML: {exc}") from exc


def check_writable_dir(path: str | os.PathLike[str], what: str) -> Path:
    """Create ``path`` if needed and prove it writable with a probe file; ``UserError`` if not.

    Called before any training, so a read-only mount or a file in the way is reported at once
    (naming ``what``: e.g. "results directory"), not after every trial has trained.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{what} {folder} is a file, not a directory; give a directory path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".disentbench-write-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UserError(f"{what} {folder} is not writable ({reason}); give a writable path") from None
    return folder
