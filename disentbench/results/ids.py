"""Ids that become file names: one safe pattern, and the check that a path stays inside its root.

A trial id names its record file (``RESULTS/records/<trial_id>.json``) and its checkpoint folder,
and parts of an id (the data-set name, the method) can come from input disentbench does not
control, such as the JSON that ``import-reference`` reads. A name like ``../../escape``,
``sub/dir`` or one holding a NUL byte must never reach the file system. So every id that becomes
part of a path is checked against :data:`SAFE_ID` (:func:`check_id`), a free-form name that only
labels a file is mapped onto it (:func:`file_part`), and every write checks that its resolved
path lies inside its root (:func:`inside`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from disentbench.errors import UserError

#: The one pattern of an id that may become (part of) a file name: ASCII letters, digits, ``_``,
#: ``.``, ``+`` and ``-``, not starting with ``.``, ``+`` or ``-`` (no hidden files, no ``..``,
#: nothing a shell reads as an option). ``+`` and ``-`` appear in numbers such as ``1e+06``.
SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")

#: Longest id: a record's temporary file (``.<id>.json.<random>.part``) must stay below the
#: 255-byte file-name limit of common file systems.
MAX_ID_LENGTH = 200


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters with the full length said, for error messages."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f"{len(value)} characters" if isinstance(value, (str, bytes)) else f"{len(text)} characters shown"
    return f"{text[:limit]}… ({size})"


def param_suffix(params: Mapping[str, Any], names: Iterable[str]) -> str:
    """``.<name><value>…`` for the parameters ``names`` (``.k-1``): the readable part of an id."""
    return "".join(f".{name}{params[name]:g}" for name in names)


def check_id(value: object, what: str = "id") -> str:
    """``value`` if it matches :data:`SAFE_ID` and is at most :data:`MAX_ID_LENGTH` long.

    Raises ``UserError`` naming ``what`` (the field or file it came from) otherwise.
    """
    if not isinstance(value, str):
        raise UserError(f"{what}: expected a name (a string), got {type(value).__name__} {shown(value)}")
    if not value:
        raise UserError(f"{what}: empty name")
    if len(value) > MAX_ID_LENGTH:
        raise UserError(f"{what}: name of {len(value)} characters {shown(value)}; at most {MAX_ID_LENGTH}")
    if not SAFE_ID.fullmatch(value):
        raise UserError(
            f"{what}: {shown(value)} is not a safe name: use ASCII letters, digits, '_', '.', '+' and '-' "
            "only, not starting with '.', '+' or '-' (it becomes part of a file name)"
        )
    return value


def file_part(name: object, limit: int = 60) -> str:
    """A file-name part made from a free-form label: unsafe characters become ``_``, cut to ``limit``.

    For names that only label an output file (a figure per data set); the result always passes
    :func:`check_id`.
    """
    text = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_.+-") else "_" for ch in str(name))
    text = text[:limit] or "_"
    if not SAFE_ID.fullmatch(text):
        text = "_" + text[: limit - 1]
    return text


def inside(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """``path`` if, with links and ``..`` resolved, it lies inside ``root``; else ``UserError``."""
    base = Path(root).resolve()
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(base):
        raise UserError(f"{path}: resolves to {resolved}, outside {base}; refusing to write there")
    return Path(path)
