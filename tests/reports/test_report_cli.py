"""The commands end to end: report / leaderboard on tables as CSV and parquet; bad input exits 2."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from disentbench.cli import main
from disentbench.reports.synthetic import synthetic_table


def test_report_from_a_csv_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "results.csv"
    synthetic_table(datasets=1, methods=2, strengths=2, seeds=3).to_csv(table, index=False)
    assert main(["report", str(table), "--draws", "200"]) == 0  # one figure process (the default)
    out = tmp_path / "results_report"
    assert Path(capsys.readouterr().out.strip()) == out / "report.html"
    assert len(list(out.glob("*.png"))) == 9
    assert (
        main(["leaderboard", str(table), "--scores", "mig.discrete_mig,sap.SAP_score", "--format", "html"])
        == 0
    )
    assert "<table" in capsys.readouterr().out
    parquet = tmp_path / "results.parquet"
    pd.read_csv(table).to_parquet(parquet)
    assert main(["leaderboard", str(parquet), "--format", "csv", "--representation", "sampled"]) == 0
    assert len(pd.read_csv(io.StringIO(capsys.readouterr().out))) == 4  # 2 methods × 2 strengths


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "no such results directory" in capsys.readouterr().err
    (tmp_path / "t.txt").write_text("x")
    assert main(["leaderboard", str(tmp_path / "t.txt")]) == 2
    pd.DataFrame({"dataset": ["d"], "method": ["m"], "strength": [1.0], "mig.discrete_mig": [0.1]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    assert main(["leaderboard", str(tmp_path / "t.csv"), "--preset", "nope"]) == 2
    assert "unknown leaderboard preset" in capsys.readouterr().err
