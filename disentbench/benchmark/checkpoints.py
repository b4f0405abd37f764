"""A trial's persisted checkpoints: find them, resume from the newest good one, delete them when done.

Ray Tune persists each checkpoint a trial reports under its storage path, laid out as
``<storage>/<study>-<run id>/<trial id>/checkpoint_NNNNNN/`` (run ids sort by start time). Each
holds a copy of the trainer's checkpoint folder. A driver killed while Tune was copying, or a
full disk, can leave the newest one half written; resuming from it would fail on every retry
while an intact older one sits beside it. So a trial tries its checkpoints newest first,
verifies each before use, and falls back to older ones, or to step 0, saying which.

Once a trial has its completed record its checkpoints are no longer needed and are deleted,
unless the run was asked to keep them (``--keep-checkpoints``).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHECKPOINT_PREFIX = "checkpoint_"


def _filesystem(storage: str) -> tuple[Any, str, str]:
    """``(pyarrow filesystem, root path in it, URI prefix)`` for a local path or an object-store URI."""
    import pyarrow.fs as pafs

    try:
        fs, root = pafs.FileSystem.from_uri(storage)
    except (pafs.ArrowInvalid, ValueError):
        fs, root = pafs.LocalFileSystem(), storage
    prefix = storage[: len(storage) - len(root)] if storage.endswith(root) else ""
    return fs, root, prefix


def persisted_checkpoints(storage: str, trial_ids: set[str]) -> dict[str, list[str]]:
    """Every persisted checkpoint per trial id under ``storage``, newest first.

    Newest = latest run, then highest checkpoint index within the run. Works for local paths and
    object-store URIs alike (through ``pyarrow.fs``).
    """
    import pyarrow.fs as pafs

    fs, root, prefix = _filesystem(storage)
    found: dict[str, list[tuple[str, str, str]]] = {}
    try:
        runs = fs.get_file_info(pafs.FileSelector(root, allow_not_found=True))
    except OSError:
        return {}
    for run in runs:
        if run.type != pafs.FileType.Directory:
            continue
        try:
            trial_dirs = fs.get_file_info(pafs.FileSelector(run.path))
        except OSError:
            continue
        for trial_dir in trial_dirs:
            if trial_dir.type != pafs.FileType.Directory or trial_dir.base_name not in trial_ids:
                continue
            for item in fs.get_file_info(pafs.FileSelector(trial_dir.path)):
                if item.type == pafs.FileType.Directory and item.base_name.startswith(CHECKPOINT_PREFIX):
                    found.setdefault(trial_dir.base_name, []).append(
                        (run.base_name, item.base_name, item.path)
                    )
    return {
        trial_id: [prefix + path for _, _, path in sorted(items, reverse=True)]
        for trial_id, items in found.items()
    }


def verify_trainer_checkpoint(directory: str | os.PathLike[str]) -> str | None:
    """Why the trainer checkpoint folder ``directory`` cannot be resumed from, or None if it can.

    The check is the trainer's own (``disentbench.models.checkpoints.check_checkpoint``): the
    checkpoint ``latest.json`` points at must match its manifest (written last: every file's size
    and SHA-256), so a truncated, edited or half-copied file is found here, named, instead of
    failing inside the trainer.
    """
    from disentbench.models.checkpoints import CheckpointCorrupt, check_checkpoint

    try:
        check_checkpoint(directory)
    except CheckpointCorrupt as exc:
        return str(exc)
    return None


def restore_newest_good(
    candidates: Iterable[Any], work: str | os.PathLike[str], trial_id: str
) -> tuple[Any | None, list[str]]:
    """Copy the newest checkpoint that verifies into ``work``; return it and the rejected ones' reasons.

    ``candidates`` are ``ray.tune.Checkpoint`` objects, newest first. Each is copied into the
    (emptied) ``work`` folder and verified; a bad one is logged with its reason and the next is
    tried. With none good, ``work`` is left empty and training starts at step 0 (logged).
    """
    rejected: list[str] = []
    work = Path(work)
    for checkpoint in candidates:
        _empty(work)
        try:
            checkpoint.to_directory(str(work))
            reason = verify_trainer_checkpoint(work)
        except OSError as exc:
            reason = f"cannot be copied ({exc})"
        if reason is None:
            if rejected:
                log.warning("trial %s resumes from the older checkpoint %s", trial_id, checkpoint.path)
            return checkpoint, rejected
        log.warning("trial %s: skipping damaged checkpoint %s: %s", trial_id, checkpoint.path, reason)
        rejected.append(f"{checkpoint.path}: {reason}")
    _empty(work)
    if rejected:
        log.warning("trial %s: no intact checkpoint left; training starts again at step 0", trial_id)
    return None, rejected


def _empty(folder: Path) -> None:
    for item in folder.iterdir():
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item)
        else:
            item.unlink()


def delete_checkpoints(storage: str, trial_ids: set[str]) -> int:
    """Delete every persisted checkpoint of ``trial_ids`` under ``storage``; return how many."""
    fs, _, prefix = _filesystem(storage)
    deleted = 0
    for paths in persisted_checkpoints(storage, trial_ids).values():
        for path in paths:
            try:
                fs.delete_dir(path[len(prefix) :])
                deleted += 1
            except OSError as exc:
                log.warning("could not delete checkpoint %s: %s", path, exc)
    return deleted
