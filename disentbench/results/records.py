"""Result records: one JSON file per trial, ``RESULTS/records/<trial_id>.json`` (architecture.md).

A record carries everything needed to trust and re-derive a result (docs/style.md §6): the full
trial spec, the stable trial id, the reference model number, status and error, timings, code and
library versions, device, data provenance, training-time unsupervised scores and every score per
representation. Records are written atomically, so a reader (``status``, ``load``) never sees a
half-written file, and a re-run that rewrites a record replaces it in one step.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from disentbench.errors import DataFileError
from disentbench.io import write_json_atomic
from disentbench.results.ids import check_id, inside

SCHEMA_VERSION = 1
RECORDS_DIR = "records"
STATUSES = ("completed", "failed")
_REQUIRED = ("schema_version", "trial_id", "status", "spec")


def records_dir(results: str | os.PathLike[str]) -> Path:
    """The folder holding the records of a results directory."""
    return Path(results) / RECORDS_DIR


def record_path(results: str | os.PathLike[str], trial_id: str) -> Path:
    """Where the record of ``trial_id`` lives; ``UserError`` if the id is unsafe or the path escapes."""
    return inside(results, records_dir(results) / f"{check_id(trial_id, 'trial_id')}.json")


def write_record(results: str | os.PathLike[str], record: dict[str, Any]) -> Path:
    """Validate ``record`` and write it atomically; returns its path.

    A failed record never replaces a completed one (a late failure of a retried or concurrent
    attempt must not erase a finished result); it is then not written.
    """
    validate_record(record, source="record to write")
    path = record_path(results, record["trial_id"])
    if record["status"] != "completed" and _is_completed(path):
        return path
    write_json_atomic(path, record)
    return path


def _is_completed(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("status") == "completed"
    except (OSError, ValueError, AttributeError):
        return False


def read_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check one record file; ``DataFileError`` names the file on bad content."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path}: not a readable JSON result record ({exc})") from exc
    validate_record(record, source=str(path))
    return record


def iter_records(results: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every record of a results directory, in file-name order."""
    folder = records_dir(results)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json")):
        yield read_record(path)


def existing_records(results: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """``trial_id -> record`` for every record present."""
    return {record["trial_id"]: record for record in iter_records(results)}


def validate_record(record: Any, source: str) -> None:
    """Check the fields every reader relies on; raise ``DataFileError`` naming ``source``."""
    if not isinstance(record, dict):
        raise DataFileError(f"{source}: expected a JSON object, got {type(record).__name__}")
    missing = [key for key in _REQUIRED if key not in record]
    if missing:
        raise DataFileError(f"{source}: missing field(s) {', '.join(missing)}")
    if record["schema_version"] != SCHEMA_VERSION:
        raise DataFileError(
            f"{source}: schema_version {record['schema_version']!r}; this disentbench reads {SCHEMA_VERSION}"
        )
    if record["status"] not in STATUSES:
        raise DataFileError(f"{source}: status {record['status']!r}; expected one of {', '.join(STATUSES)}")
    if not isinstance(record.get("scores", {}), dict):
        raise DataFileError(f"{source}: field 'scores' must map representation -> scores")


def new_record(spec: dict[str, Any], trial_id: str, model_num: int | None, study: str) -> dict[str, Any]:
    """A record skeleton with the environment filled in; the trial fills status, scores, timings."""
    return {
        "schema_version": SCHEMA_VERSION,
        "trial_id": trial_id,
        "model_num": model_num,
        "study": study,
        "status": "failed",
        "error": None,
        "spec": spec,
        "timings": {"train_seconds": None, "eval_seconds": None, "wall_seconds": None},
        "versions": library_versions(),
        "device": "cpu",
        "host": platform.node(),
        "data": {},
        "train_results": {},
        "scores": {},
    }


@functools.cache
def library_versions() -> dict[str, str]:
    """Versions of the code and of the libraries that determine a result."""
    import numpy
    import ray
    import sklearn
    import torch

    from disentbench import __version__

    return {
        "disentbench": __version__,
        "code_version": code_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "ray": ray.__version__,
        "python": platform.python_version(),
    }


@functools.cache
def code_version() -> str:
    """``git describe`` of the source tree (``-dirty`` if modified), or the package version.

    The environment variable ``DISENTBENCH_CODE_VERSION`` wins, so a cluster whose workers run an
    installed copy without ``.git`` can still record the commit the driver ran.
    """
    from disentbench import __version__

    if os.environ.get("DISENTBENCH_CODE_VERSION"):
        return os.environ["DISENTBENCH_CODE_VERSION"]
    source = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "-C", str(source), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout.strip() or f"v{__version__}"
    except (OSError, subprocess.SubprocessError):
        return f"v{__version__}"
