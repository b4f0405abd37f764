"""Verified directories of plain files: training checkpoints and saved models (docs/reference/models.md
§2.11–2.12).

A checkpoint (or saved model) is a directory of plain files whose last write is ``manifest.json``:
the SHA-256 and size of every other file, written atomically once they are all complete. A
directory whose manifest is missing, unreadable, or disagrees with any file (truncated, edited,
extra or missing) is not verified. So a process killed while writing leaves either a verified
directory or one that :func:`verify_checkpoint` rejects, never a half-written one that looks good.

Tensors are stored with safetensors and every other state with ``torch.load(weights_only=True)``:
loading never runs code from the file.

Layout of a trainer's checkpoint folder (the last checkpoint kept, §2.11)::

    latest.json              {"checkpoint": "ckpt-000010000", "step": 10000} (a hint, not trusted)
    ckpt-000010000/          one checkpoint: its files, manifest.json last
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from disentbench.errors import DataFileError
from disentbench.io import atomic_path, write_json_atomic

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "disentbench-manifest"
#: Pointer to the newest checkpoint inside a trainer's checkpoint folder.
LATEST = "latest.json"
CHECKPOINT_PREFIX = "ckpt-"


class CheckpointCorrupt(DataFileError):
    """A checkpoint or saved model directory failed verification; names the directory and file."""

    def __init__(self, directory: Path, file: str, reason: str):
        self.directory = directory
        self.file = file
        self.reason = reason
        super().__init__(f"{directory / file}: {reason} (the directory is not a complete checkpoint)")


# --- manifests --------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: Path, info: Mapping[str, Any] | None = None) -> None:
    """Write ``manifest.json`` listing every other file of ``directory`` (call it last).

    ``info`` (e.g. ``{"step": 1000}``) is stored beside the file list, readable without loading
    the checkpoint.
    """
    files = {
        path.name: {"sha256": sha256_file(path), "bytes": path.stat().st_size}
        for path in sorted(directory.iterdir())
        if path.is_file() and path.name != MANIFEST and not path.name.startswith(".")
    }
    write_json_atomic(directory / MANIFEST, {"format": MANIFEST_FORMAT, "files": files, **dict(info or {})})


def check_checkpoint(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Verify ``directory`` against its manifest and return the manifest; raise ``CheckpointCorrupt``.

    A trainer's checkpoint folder (holding ``latest.json``) is checked through the checkpoint it
    points at.
    """
    root = Path(directory)
    if (root / LATEST).is_file() and not (root / MANIFEST).exists():
        root = _pointed(root)
    if not root.is_dir():
        raise CheckpointCorrupt(root.parent, root.name, "missing directory")
    path = root / MANIFEST
    if not path.is_file():
        raise CheckpointCorrupt(root, MANIFEST, "missing manifest")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("format") != MANIFEST_FORMAT or not isinstance(files, dict):
            raise ValueError("not a disentbench manifest")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointCorrupt(root, MANIFEST, f"unreadable manifest ({exc})") from None
    present = {
        p.name for p in root.iterdir() if p.is_file() and p.name != MANIFEST and not p.name.startswith(".")
    }
    extra = sorted(present - set(files))
    if extra:
        raise CheckpointCorrupt(root, extra[0], "file not listed in the manifest")
    for name, expected in sorted(files.items()):
        file = root / name
        if Path(name).name != name or not file.is_file():
            raise CheckpointCorrupt(root, name, "missing file")
        size = file.stat().st_size
        if size != expected.get("bytes"):
            raise CheckpointCorrupt(
                root, name, f"has {size} bytes, the manifest says {expected.get('bytes')}"
            )
        if sha256_file(file) != expected.get("sha256"):
            raise CheckpointCorrupt(root, name, "checksum differs from the manifest (edited or corrupted)")
    return manifest


def verify_checkpoint(directory: str | os.PathLike[str]) -> bool:
    """Whether ``directory`` is complete and unchanged since it was written (see module docstring)."""
    try:
        check_checkpoint(directory)
    except CheckpointCorrupt as exc:
        logger.debug("checkpoint not verified: %s", exc)
        return False
    return True


def newest_good_checkpoint(directories: Iterable[str | os.PathLike[str]]) -> Path | None:
    """The verified directory with the highest step (then name) among ``directories``, or ``None``.

    Logs (warning) each directory skipped and why, so a resume that falls back is visible.
    """
    good: list[tuple[int, str, Path]] = []
    for directory in directories:
        path = Path(directory)
        try:
            manifest = check_checkpoint(path)
        except CheckpointCorrupt as exc:
            logger.warning("skipping checkpoint %s: %s", path, exc)
            continue
        step = manifest.get("step")
        good.append((step if isinstance(step, int) else -1, path.name, path))
    if not good:
        return None
    return max(good, key=lambda item: (item[0], item[1]))[2]


def _pointed(folder: Path) -> Path:
    try:
        name = str(json.loads((folder / LATEST).read_text(encoding="utf-8"))["checkpoint"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointCorrupt(folder, LATEST, f"unreadable checkpoint pointer ({exc})") from None
    if Path(name).name != name or not name.startswith(CHECKPOINT_PREFIX):
        raise CheckpointCorrupt(folder, LATEST, f"points outside the folder ({name!r})")
    return folder / name


# --- a trainer's checkpoint folder --------------------------------------------------------------


def checkpoint_name(step: int) -> str:
    return f"{CHECKPOINT_PREFIX}{step:09d}"


def begin_checkpoint(folder: Path, step: int) -> Path:
    """A fresh hidden work directory for the checkpoint of ``step`` (see :func:`commit_checkpoint`)."""
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / f".{checkpoint_name(step)}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    return work


def commit_checkpoint(folder: Path, work: Path, step: int) -> Path:
    """Manifest last, rename into place, point ``latest.json`` at it, then drop older checkpoints."""
    write_manifest(work, {"step": step})
    final = folder / checkpoint_name(step)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(work, final)
    write_json_atomic(folder / LATEST, {"checkpoint": final.name, "step": step})
    for old in folder.glob(f"{CHECKPOINT_PREFIX}*"):
        if old.name != final.name:
            shutil.rmtree(old, ignore_errors=True)
    return final


def newest_good_in_folder(folder: Path) -> Path | None:
    """The newest verified ``ckpt-*`` directory of a trainer's checkpoint folder, or ``None``.

    ``latest.json`` is only a hint: a checkpoint it names that fails verification is skipped
    (logged) in favour of an older verified one, if the folder still holds one.
    """
    if not folder.is_dir():
        return None
    candidates = sorted(p for p in folder.glob(f"{CHECKPOINT_PREFIX}*") if p.is_dir())
    if not candidates:
        return None
    return newest_good_checkpoint(candidates)


# --- tensors and state files ----------------------------------------------------------------------


def module_tensors(modules: Mapping[str, torch.nn.Module]) -> dict[str, torch.Tensor]:
    """``{"<part>.<name>": tensor}`` of every module's state, on the CPU and contiguous."""
    return {
        f"{part}.{key}": value.detach().cpu().contiguous()
        for part, module in modules.items()
        for key, value in module.state_dict().items()
    }


def save_tensors(path: Path, tensors: Mapping[str, torch.Tensor]) -> None:
    """Write ``tensors`` as one safetensors file, atomically."""
    with atomic_path(path) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp))


def load_tensors(path: Path) -> dict[str, torch.Tensor]:
    """Read a safetensors file; a missing or unreadable one is a ``DataFileError`` naming it."""
    if not path.is_file():
        raise DataFileError(f"{path}: missing tensor file")
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for bad headers
        raise DataFileError(f"{path}: cannot read safetensors file ({exc})") from None


def save_state(path: Path, state: Mapping[str, Any]) -> None:
    """Write a plain state dict (tensors, numbers, strings, lists, dicts) with ``torch.save``, atomically."""
    with atomic_path(path) as tmp:
        torch.save(dict(state), tmp)


def load_state(path: Path) -> dict[str, Any]:
    """Read a file written by :func:`save_state` with the safe loader (``weights_only=True``)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataFileError(f"{path}: cannot read trainer state ({exc})") from None
    if not isinstance(state, dict):
        raise DataFileError(f"{path}: expected a state dictionary")
    return state
