"""Result records: atomic, validated, read back as written."""

from __future__ import annotations

import json

import pytest

from disentbench.errors import DataFileError
from disentbench.results.records import (
    existing_records,
    library_versions,
    new_record,
    read_record,
    record_path,
    write_record,
)


def _record(trial_id="t1", status="completed"):
    record = new_record({"dataset": "dsprites_full", "representations": ["mean"]}, trial_id, 7, "s")
    record["status"] = status
    record["scores"] = {"mean": {"mig.discrete_mig": 0.25}}
    return record


def test_round_trip_and_versions(tmp_path):
    path = write_record(tmp_path, _record())
    assert path == record_path(tmp_path, "t1")
    back = read_record(path)
    assert back["scores"]["mean"]["mig.discrete_mig"] == 0.25
    assert back["model_num"] == 7
    versions = library_versions()
    for key in ("torch", "numpy", "scikit-learn", "ray", "python", "code_version", "disentbench"):
        assert versions[key]
    assert set(existing_records(tmp_path)) == {"t1"}
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".part")]


def test_rewrite_replaces(tmp_path):
    write_record(tmp_path, _record(status="failed"))
    write_record(tmp_path, _record(status="completed"))
    assert existing_records(tmp_path)["t1"]["status"] == "completed"
    assert len(list((tmp_path / "records").glob("*.json"))) == 1


def test_bad_records_are_named(tmp_path):
    with pytest.raises(DataFileError, match="status"):
        write_record(tmp_path, _record(status="done"))
    folder = tmp_path / "records"
    folder.mkdir(exist_ok=True)
    (folder / "x.json").write_text("{not json")
    with pytest.raises(DataFileError, match=r"x\.json"):
        existing_records(tmp_path)
    (folder / "x.json").write_text(json.dumps({"schema_version": 1, "trial_id": "x", "status": "completed"}))
    with pytest.raises(DataFileError, match="spec"):
        existing_records(tmp_path)
