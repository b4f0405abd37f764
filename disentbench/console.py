"""What the command line shows on the terminal, and where everything else goes.

- The terminal shows disentbench's own log lines, short (``HH:MM:SS message``; other levels
  than INFO name their level). Other libraries' lines show at WARNING and above, except during a
  study run, when they go to the run's log file only. ``-v`` shows everything, at DEBUG.
- A study run opens a log file (``RESULTS/logs/run-<time>.log``, see :func:`run_log`) that gets
  every log line of every library, disentbench's at DEBUG (each trial's full progress), and,
  while Ray runs (:func:`divert_output`), everything written to the process's standard output
  and error: Ray's notices, Tune's tables and hints, the workers' output that Ray forwards.
- A line about one trial (logged with ``extra={"trial_id": ...}``) also goes to that trial's
  log, ``RESULTS/logs/trials/<trial_id>.log``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

#: Folder of the run and trial logs inside a results directory.
LOGS_DIR = "logs"
#: Sub-folder of :data:`LOGS_DIR` with one log per trial.
TRIAL_LOGS_DIR = "trials"

FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: A trial id becomes a file name only if it is this plain (no separators, no leading dot).
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,200}")


class _ConsoleFormatter(logging.Formatter):
    """``HH:MM:SS message`` for INFO, ``HH:MM:SS LEVEL message`` otherwise (``-v``: the name too)."""

    def __init__(self, verbose: bool) -> None:
        super().__init__(datefmt="%H:%M:%S")
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        when = self.formatTime(record, self.datefmt)
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if self.verbose:
            return f"{when} {record.levelname} {record.name}: {text}"
        if record.levelno == logging.INFO:
            return f"{when} {text}"
        return f"{when} {record.levelname} {text}"


class _ConsoleFilter(logging.Filter):
    """disentbench's lines always; others' at WARNING+ unless a run log takes them; all with -v."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _state.verbose or record.name == "disentbench" or record.name.startswith("disentbench."):
            return True
        return _state.file_handler is None and record.levelno >= logging.WARNING


class _TrialLogHandler(logging.Handler):
    """Appends each record that carries a ``trial_id`` to ``<folder>/<trial_id>.log``."""

    def __init__(self, folder: Path) -> None:
        super().__init__(logging.DEBUG)
        self.folder = folder
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        trial_id = getattr(record, "trial_id", None)
        if not isinstance(trial_id, str) or not _SAFE_NAME.fullmatch(trial_id):
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.folder / f"{trial_id}.log", "a", encoding="utf-8") as fh:
                fh.write(self.format(record) + "\n")
        except OSError:
            self.handleError(record)


class _State:
    verbose: bool = False
    console: logging.StreamHandler | None = None
    file_handler: logging.FileHandler | None = None
    trial_handler: _TrialLogHandler | None = None


_state = _State()


def configure(verbose: bool = False) -> None:
    """Set up the terminal's log output (called once per command by ``disentbench.cli``)."""
    root = logging.getLogger()
    if _state.console is not None:
        root.removeHandler(_state.console)
    _state.verbose = verbose
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ConsoleFormatter(verbose))
    handler.addFilter(_ConsoleFilter())
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    _state.console = handler


def run_log_path(results: str | os.PathLike[str]) -> Path:
    """A new run log's path: ``RESULTS/logs/run-<UTC time>.log``."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return Path(results) / LOGS_DIR / f"run-{stamp}.log"


def trial_log_path(results: str | os.PathLike[str], trial_id: str) -> Path:
    """Where :func:`run_log` writes the lines about ``trial_id``."""
    return Path(results) / LOGS_DIR / TRIAL_LOGS_DIR / f"{trial_id}.log"


@contextlib.contextmanager
def run_log(results: str | os.PathLike[str]) -> Iterator[Path]:
    """Log everything of a study run to a new file under ``results``; yields its path."""
    path = run_log_path(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    own = logging.getLogger("disentbench")
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
    trial_handler = _TrialLogHandler(path.parent / TRIAL_LOGS_DIR)
    previous_level = own.level
    own.setLevel(logging.DEBUG)  # the full progress reaches the files, the console stays at INFO
    root.addHandler(file_handler)
    root.addHandler(trial_handler)
    _state.file_handler, _state.trial_handler = file_handler, trial_handler
    try:
        yield path
    finally:
        for handler in (file_handler, trial_handler):
            root.removeHandler(handler)
            handler.close()
        own.setLevel(previous_level)
        _state.file_handler = _state.trial_handler = None


@contextlib.contextmanager
def divert_output() -> Iterator[None]:
    """Send the process's standard output and error to the run log; the console keeps its lines.

    Works on the file descriptors, so it also catches output that does not go through Python's
    ``sys.stdout`` (handlers that hold the original stream, C++ libraries, Ray's forwarding of
    worker output). Does nothing with ``-v``, without an open run log, or without real
    descriptors 1 and 2.
    """
    handler = _state.file_handler
    if handler is None or _state.verbose:
        yield
        return
    _flush()
    try:
        saved = os.dup(1), os.dup(2)
    except OSError:
        yield
        return
    log_fd = os.open(handler.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    console = _state.console
    previous_stream: TextIO | None = None
    terminal: TextIO | None = None
    if console is not None and _writes_to_fd(console.stream, 2):
        terminal = os.fdopen(os.dup(saved[1]), "w", buffering=1, encoding="utf-8", errors="replace")
        previous_stream = console.setStream(terminal)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    try:
        yield
    finally:
        _flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        if console is not None and previous_stream is not None:
            console.setStream(previous_stream)
        for fd in (*saved, log_fd):
            os.close(fd)
        if terminal is not None:
            terminal.close()


def _writes_to_fd(stream: TextIO, fd: int) -> bool:
    try:
        return stream.fileno() == fd
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return False


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
