"""An exclusive lock on a results directory, so two runs never train and write the same study.

Two ``disentbench run`` of one study into one results directory would both train every trial
and overwrite each other's records. :func:`results_lock` takes ``RESULTS/.disentbench.lock``
with ``flock`` (released by the kernel when the holder exits, however it exits) and writes the
holder's host, pid and start time into it, so a refused run can say who holds the directory.

Stale locks: a lock file whose holder died holds no ``flock`` any more, so the next run takes it
and logs whose lock it replaces. As a second guard (a file system where ``flock`` does not
work) a recorded holder on this host whose process still runs is refused.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import platform
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from disentbench.errors import UserError

log = logging.getLogger(__name__)

LOCK_FILE = ".disentbench.lock"


def _holder(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, Any]) -> str:
    since = holder.get("started")
    when = (
        time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(since)) if isinstance(since, (int, float)) else "?"
    )
    return f"host {holder.get('host', '?')}, pid {holder.get('pid', '?')}, since {when}"


def _still_holding(holder: dict[str, Any]) -> bool:
    """Whether the recorded holder's process still runs (a reused pid started later does not count)."""
    import psutil

    pid, started = holder.get("pid"), holder.get("started")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        created = psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return not isinstance(started, (int, float)) or created <= started + 1.0


@contextlib.contextmanager
def results_lock(results: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the exclusive lock of ``results`` for the duration of the block.

    Raises ``UserError`` naming the holder (host, pid, start) when another run holds it.
    """
    path = Path(results) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES, errno.EAGAIN):
                raise
            holder = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
            raise UserError(
                f"{results} is in use by another disentbench run ({_describe(holder)}); wait for it "
                "to finish or stop it, or give another --results directory"
            ) from None
        previous = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        if previous and previous.get("pid") != os.getpid():
            same_host = previous.get("host") == platform.node()
            if same_host or not previous.get("host"):
                if same_host and _still_holding(previous):
                    # flock says free but the recorded holder still runs: flock may not work on
                    # this file system; refuse rather than risk two writers.
                    raise UserError(
                        f"{results} is in use by another disentbench run ({_describe(previous)}); "
                        f"if that process is not a disentbench run, delete {path}"
                    )
                log.info("recovered a stale lock on %s (%s, no longer running)", results, _describe(previous))
            else:
                log.warning(
                    "%s: taking over the lock of %s; its flock is free, so that run has ended",
                    results,
                    _describe(previous),
                )
        mine = {"host": platform.node(), "pid": os.getpid(), "started": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(mine).encode(), 0)
        os.fsync(fd)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
