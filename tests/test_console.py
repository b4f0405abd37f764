"""What the terminal shows and what goes to the run's log (``disentbench.console``, ``cli``)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from disentbench import console

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
#: Another library's logger. Not Ray's own: once Ray has started in this process (earlier tests),
#: its loggers stop propagating to the root logger, and the routing tested here is the root's.
OTHER = "another.library"


@pytest.fixture
def restore_logging():
    """Remove the console handler the test's ``console.configure()`` adds (after the capture starts)."""
    root = logging.getLogger()
    level = root.level
    yield
    root.removeHandler(console._state.console)
    console._state.console = None
    console._state.verbose = False
    root.setLevel(level)


def test_console_shows_own_lines_short_and_others_only_when_they_warn(restore_logging, capsys):
    console.configure()
    logging.getLogger("disentbench.benchmark.runner").info("[0/6 done, 0 failed] start t1")
    logging.getLogger(OTHER).info("Configuration for experiment")
    logging.getLogger(OTHER).warning("a warning of Ray's")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].endswith(" [0/6 done, 0 failed] start t1") and len(err[0].split()[0]) == 8
    assert err[1].endswith("WARNING a warning of Ray's")


def test_run_log_takes_everything_and_the_console_keeps_own_lines(restore_logging, tmp_path, capfd):
    console.configure()
    with console.run_log(tmp_path) as path:
        assert path.parent == tmp_path / "logs" and path.name.startswith("run-")
        logging.getLogger("disentbench.x").info("own line")
        logging.getLogger("disentbench.x").debug("own detail")
        logging.getLogger(OTHER).warning("Token authentication is enabled")
        logging.getLogger("disentbench.x").info("about t1", extra={"trial_id": "dsprites.t1"})
        logging.getLogger("disentbench.x").info("escape", extra={"trial_id": "../../evil"})
        with console.divert_output():
            os.write(1, b"Tune's status table\n")  # what Python's print does in the real CLI
            os.write(2, b"C++ chatter on fd 2\n")
            logging.getLogger("disentbench.x").info("still on the console")
        print("after the diversion", flush=True)
    out, err = capfd.readouterr()
    assert "own line" in err and "still on the console" in err
    assert "own detail" not in err and "Token authentication" not in err
    assert "status table" not in out and "C++ chatter" not in err
    assert "after the diversion" in out
    text = path.read_text()
    for line in ("own line", "own detail", "Token authentication", "status table", "C++ chatter"):
        assert line in text
    trial_logs = sorted(p.name for p in (tmp_path / "logs" / "trials").iterdir())
    assert trial_logs == ["dsprites.t1.log"]
    assert "about t1" in (tmp_path / "logs" / "trials" / "dsprites.t1.log").read_text()
    assert not (tmp_path.parent / "evil.log").exists()


def test_verbose_keeps_everything_on_the_terminal(restore_logging, tmp_path, capfd):
    console.configure(verbose=True)
    with console.run_log(tmp_path), console.divert_output():
        logging.getLogger(OTHER).info("Configuration for experiment")
        os.write(1, b"Tune's status table\n")
    out, err = capfd.readouterr()
    assert "Configuration for experiment" in err and "status table" in out


def test_dry_run_into_a_closed_pipe_exits_quietly(tmp_path):
    # The 9,000-line listing of the paper's study, read by a `head -1` that then goes away.
    command = [sys.executable, "-m", "disentbench.cli", "run", str(CONFIGS / "unsupervised_study_v1.yaml")]
    command += ["--dry-run", "--results", str(tmp_path / "r")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline().split()[0] == b"model_num"
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert err == ""
