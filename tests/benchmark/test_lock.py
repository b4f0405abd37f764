"""One run per results directory: a second run is refused naming the holder; stale locks recover;
a failed record never replaces a completed one."""

from __future__ import annotations

import json
import logging
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest

from disentbench.benchmark.lock import LOCK_FILE, results_lock
from disentbench.benchmark.runner import run_study
from disentbench.benchmark.study import load_study
from disentbench.errors import UserError
from disentbench.results.records import new_record, read_record, record_path, write_record

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

HOLD = (
    "import sys, time\n"
    "from disentbench.benchmark.lock import results_lock\n"
    "with results_lock(sys.argv[1]):\n"
    "    print('locked', flush=True)\n"
    "    time.sleep(120)\n"
)


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of ``tmp_path / 'results'``."""
    results = tmp_path / "results"
    results.mkdir()
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(results)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "locked"
        yield results, process.pid
    finally:
        process.kill()
        process.wait(timeout=30)


def test_second_run_refused_naming_host_and_pid(holder):
    results, pid = holder
    with pytest.raises(UserError) as info:
        with results_lock(results):
            pass
    message = str(info.value)
    assert "in use by another disentbench run" in message
    assert f"host {platform.node()}" in message and f"pid {pid}" in message
    # The runner takes the lock before anything else starts.
    with pytest.raises(UserError, match=f"pid {pid}"):
        run_study(load_study(CONFIGS / "smoke.yaml"), results)
    assert not (results / "ray").exists()


def test_lock_of_a_killed_run_is_recovered(tmp_path, caplog):
    results = tmp_path / "results"
    results.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    (results / LOCK_FILE).write_text(json.dumps({"host": platform.node(), "pid": dead.pid, "started": 1.0}))
    with caplog.at_level(logging.INFO, logger="disentbench.benchmark.lock"):
        with results_lock(results):
            mine = json.loads((results / LOCK_FILE).read_text())
    assert mine["pid"] != dead.pid and mine["host"] == platform.node()
    assert f"recovered a stale lock on {results} (host {platform.node()}, pid {dead.pid}" in caplog.text
    with results_lock(results):  # released on exit: taken again at once
        pass


def test_killed_holder_releases_the_lock(holder):
    results, _ = holder
    # (the fixture kills the holder after this test; here: kill it now and take the lock)
    import psutil

    for child in psutil.Process().children():
        if child.cmdline()[-1] == str(results):
            child.kill()
            child.wait(timeout=30)
    deadline = time.time() + 10
    while True:
        try:
            with results_lock(results):
                break
        except UserError:
            assert time.time() < deadline
            time.sleep(0.1)


def _record(status: str, error: str | None = None) -> dict:
    record = new_record({"dataset": "x"}, "x.beta_vae.1.s0.abc", None, "t")
    record["status"], record["error"] = status, error
    return record


def test_failed_record_never_replaces_a_completed_one(tmp_path):
    write_record(tmp_path, _record("failed", "first attempt"))
    write_record(tmp_path, _record("completed"))
    path = record_path(tmp_path, "x.beta_vae.1.s0.abc")
    assert read_record(path)["status"] == "completed"
    write_record(tmp_path, _record("failed", "late failure of another attempt"))
    assert read_record(path)["status"] == "completed"
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
