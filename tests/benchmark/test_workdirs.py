"""Scratch folders of killed trials are removed by the next run; live ones are kept."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from disentbench.benchmark.workdirs import PREFIX, UNOWNED_MAX_AGE, clean_stale_workdirs


def test_only_folders_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    killed = tmp_path / f"{PREFIX}{dead.pid}-abcd1234"
    live = tmp_path / f"{PREFIX}{os.getpid()}-efgh5678"
    old_unowned = tmp_path / f"{PREFIX}k2j3h4g5"  # the older naming, without a pid
    new_unowned = tmp_path / f"{PREFIX}z9y8x7w6"
    other = tmp_path / "something-else"
    for folder in (killed, live, old_unowned, new_unowned, other):
        (folder / "ckpt-000000010").mkdir(parents=True)
        (folder / "ckpt-000000010" / "weights.safetensors").write_bytes(b"x" * 1000)
    stale = time.time() - UNOWNED_MAX_AGE - 60
    os.utime(old_unowned, (stale, stale))
    removed = clean_stale_workdirs(tmp_path)
    assert sorted(removed) == sorted([killed, old_unowned])
    assert live.is_dir() and new_unowned.is_dir() and other.is_dir()
    assert not killed.exists() and not old_unowned.exists()
