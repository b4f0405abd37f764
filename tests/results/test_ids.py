"""The one safe pattern for ids that become file names, and the inside-the-root check of every write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from disentbench.errors import UserError
from disentbench.results.ids import MAX_ID_LENGTH, check_id, file_part, inside
from disentbench.results.records import record_path, write_record

SAFE = ["dsprites_full.beta_vae.1.s0.0123456789", "ref.shapes3d.factor_vae.1e+06.s49.abcd", "_x", "A-1"]
UNSAFE = ["", ".", "..", ".hidden", "-flag", "+1", "a/b", "../x", "/abs", "a\\b", "a\x00b", "a b", "é",
          "a\nb", "x" * (MAX_ID_LENGTH + 1)]  # fmt: skip


@pytest.mark.parametrize("value", SAFE)
def test_safe_ids_pass(value: str) -> None:
    assert check_id(value) == value


@pytest.mark.parametrize("value", UNSAFE)
def test_unsafe_ids_are_user_errors_naming_the_field(value: str) -> None:
    with pytest.raises(UserError, match=r"^my\.field: "):
        check_id(value, "my.field")


def test_non_strings_are_refused() -> None:
    with pytest.raises(UserError, match="expected a name"):
        check_id(3)


@pytest.mark.parametrize("label", ["shapes3d (stand-in)", "../../x", "a/b", "é\x00", "", "." * 5, "y" * 300])
def test_file_parts_are_always_safe(label: str) -> None:
    part = file_part(label)
    assert check_id(part) == part and len(part) <= 60


def test_inside_follows_links_and_dots(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    assert inside(root, root / "sub" / "f.json") == root / "sub" / "f.json"
    with pytest.raises(UserError, match="outside"):
        inside(root, root / ".." / "f.json")
    os.symlink(tmp_path, root / "link")
    with pytest.raises(UserError, match="outside"):
        inside(root, root / "link" / "f.json")


@pytest.mark.parametrize("trial_id", ["../../../escape", "sub/dir", "a\x00b", "/abs/x"])
def test_records_refuse_unsafe_trial_ids(trial_id: str, tmp_path: Path) -> None:
    results = tmp_path / "a" / "results"
    record = {"schema_version": 1, "trial_id": trial_id, "status": "completed", "spec": {}}
    with pytest.raises(UserError, match="trial_id"):
        write_record(results, record)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_records_refuse_a_records_folder_linked_outside(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", results / "records")
    with pytest.raises(UserError, match="outside"):
        record_path(results, "a.b")
