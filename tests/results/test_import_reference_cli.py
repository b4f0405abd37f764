"""``import-reference`` end to end: import → report / leaderboard; hostile files exit 2 and write nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from disentbench.cli import main


def test_import_then_report_and_leaderboard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], reference_rows: list[dict]
) -> None:
    source = tmp_path / "aggregated.json"
    pd.DataFrame(reference_rows).to_json(source)
    results = tmp_path / "results"
    assert main(["import-reference", str(source), "--results", str(results)]) == 0
    assert "imported 8 of 9 evaluations as 2 records" in capsys.readouterr().out

    assert main(["report", str(results), "--draws", "100", "--jobs", "1"]) == 0
    assert capsys.readouterr().out.strip().endswith("report.html")
    html = (results / "report" / "report.html").read_text(encoding="utf-8")
    assert "id='leaderboard'" in html and "reference" in html

    assert main(["leaderboard", str(results), "--format", "csv"]) == 0
    board = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert sorted(board["method"]) == ["beta_vae", "dip_vae_ii"] and set(board["rank"]) == {
        1.5
    }  # each best on its own scores: a tie
    assert (
        main(["leaderboard", str(results), "--preset", "neurips2019", "--out", str(tmp_path / "lb.md")]) == 0
    )
    captured = capsys.readouterr()
    assert "left out: dci.disentanglement" in captured.err
    assert (tmp_path / "lb.md").read_text().startswith("Settings ranked")


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "name",
    ["/../../../../outside/ESCAPED", "../../../escape2", "sub/dir", "dsprites\x00full", "d" * 300],
    ids=["absolute-traversal", "relative-traversal", "sub-folder", "nul-byte", "300-characters"],
)
def test_unsafe_dataset_names_exit_2_and_write_nothing(
    name: str, tmp_path: Path, one_model_file, capsys: pytest.CaptureFixture[str]
) -> None:
    source = one_model_file(**{"dataset.name": name})
    results = tmp_path / "deep" / "er" / "results"
    before = _files(tmp_path)
    assert main(["import-reference", str(source), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert "one_model.json: evaluation 0: field train_config.dataset.name" in err
    assert "Traceback" not in err
    assert _files(tmp_path) == before  # nothing written, inside or outside --results
    assert not (tmp_path / "outside").exists() and not (tmp_path / "deep" / "escape2").exists()


@pytest.mark.parametrize(
    ("seed", "expected"),
    [("inf", "'inf'"), (10**400, "401 characters"), ("3\x00", "'3\\x00'"), (-1, "-1"), (2**32, "4294967296"),
     (2.5, "2.5")],
    ids=["inf", "401-digits", "nul-byte", "negative", "beyond-32-bits", "fraction"],
)  # fmt: skip
def test_bad_seeds_exit_2_naming_file_and_field(
    seed: object, expected: str, tmp_path: Path, one_model_file, capsys: pytest.CaptureFixture[str]
) -> None:
    source = one_model_file(**{"model.random_seed": seed})
    assert main(["import-reference", str(source), "--results", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err
    assert "one_model.json: evaluation 0: field train_config.model.random_seed" in err
    assert "expected an integer seed from 0 to 4294967295" in err and expected in err
    assert len(err) < 400 and "Traceback" not in err
    assert not (tmp_path / "results").exists()


def test_a_non_finite_strength_exits_2(tmp_path: Path, one_model_file, capsys) -> None:
    source = one_model_file(**{"vae.beta": "nan"})
    assert main(["import-reference", str(source), "--results", str(tmp_path / "results")]) == 2
    assert "field train_config.vae.beta: expected a finite number, got 'nan'" in capsys.readouterr().err


def test_json_nested_100000_deep_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["import-reference", str(deep), "--results", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err
    assert "deep.json: JSON nested too deeply" in err and "Traceback" not in err


def test_unreadable_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin = tmp_path / "latin1.json"
    latin.write_bytes(b'{"a": "\xe9"}')
    assert main(["import-reference", str(latin), "--results", str(tmp_path / "r")]) == 2
    assert "latin1.json: cannot read" in capsys.readouterr().err
    assert main(["import-reference", str(tmp_path / "a\x00b.json"), "--results", str(tmp_path / "r")]) == 2
    assert "cannot read the aggregated results file" in capsys.readouterr().err
    not_rows = tmp_path / "list.json"
    not_rows.write_text("[1, 2]")
    assert main(["import-reference", str(not_rows), "--results", str(tmp_path / "r")]) == 2
    assert not (tmp_path / "r").exists()
