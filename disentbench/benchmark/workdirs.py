"""Per-trial scratch folders in the node's temporary directory, and the clean-up of leftovers.

A trial trains into ``$TMPDIR/disentbench-trial-<pid>-XXXXXXXX`` and removes it when it ends.
A worker killed with SIGKILL cannot remove it; the next run (the driver, and every trial as it
starts on its node) removes the folders whose owning process is gone.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "disentbench-trial-"
#: Folders of the older naming without a pid are removed once untouched this long (seconds).
UNOWNED_MAX_AGE = 3600.0


def make_trial_workdir() -> str:
    """A fresh scratch folder owned (by name) by this process."""
    return tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")


def _owner(name: str) -> int | None:
    pid, sep, _ = name[len(PREFIX) :].partition("-")
    return int(pid) if sep and pid.isdigit() else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_workdirs(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove scratch folders of trials whose process is gone; return what was removed."""
    folder = Path(root or tempfile.gettempdir())
    removed = []
    try:
        entries = list(folder.glob(f"{PREFIX}*"))
    except OSError:
        return removed
    for entry in entries:
        if not entry.is_dir() or entry.is_symlink():
            continue
        pid = _owner(entry.name)
        try:
            stale = (
                not _running(pid)
                if pid is not None
                else time.time() - entry.stat().st_mtime > UNOWNED_MAX_AGE
            )
        except OSError:
            continue
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry)
    if removed:
        log.info("removed %d scratch folder(s) left by killed trials in %s", len(removed), folder)
    return removed
