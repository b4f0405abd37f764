"""The HTML report: every section and figure present, PNGs non-empty and embedded; thin tables work."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest

from disentbench.errors import UserError
from disentbench.reports.pipeline import write_report
from disentbench.reports.synthetic import synthetic_table

SECTIONS = ("overview", "findings", "agreement", "mean_vs_sampled", "drivers", "unsupervised_selection",
            "transfer", "downstream", "leaderboard")  # fmt: skip
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, small_table: pd.DataFrame) -> Path:
    out = tmp_path_factory.mktemp("report")
    return write_report(small_table, out, source="synthetic", draws=500)


def test_every_section_and_figure(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    for key in SECTIONS:
        assert f"id='{key}'" in html, key
    pngs = sorted(report.parent.glob("*.png"))
    names = {p.name for p in pngs}
    assert {"agreement_mean.png", "agreement_sampled.png", "tc_mean_vs_sampled.png",
            "variance_decomposition.png", "unsupervised_selection.png", "transfer.png",
            "downstream.png"} <= names  # fmt: skip
    assert sum(n.startswith("scores_by_method_") for n in names) == 2
    assert sum(n.startswith("scores_by_strength_") for n in names) == 2
    for png in pngs:
        data = png.read_bytes()
        assert len(data) > 1000 and data.startswith(PNG_MAGIC), png.name
        assert base64.b64encode(data).decode("ascii") in html, f"{png.name} not embedded"
    assert len(re.findall(r"src='data:image/png;base64,", html)) == len(pngs)
    assert (report.parent / "leaderboard_paper.csv").stat().st_size > 0
    assert "Ties (equal target scores" in html  # the tie rule is stated


def test_findings_state_numbers_and_models(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    findings = html[html.index("id='findings'") : html.index("id='agreement'")]
    for claim in ("(a) Metric agreement", "(b) Mean vs sampled", "(c) Method vs hyper-parameter",
                  "(d) Unsupervised model selection", "(e) Transfer", "(f) Downstream"):  # fmt: skip
        assert claim in findings
    assert "108" in findings  # 108 models in the table
    assert "too few models" in findings  # 6 seeds/setting, 54 models per data set: the transfer is too thin


def _thin_tables() -> dict[str, pd.DataFrame]:
    base = synthetic_table(datasets=1, methods=1, strengths=1, seeds=2)
    failed = base.assign(status="failed")
    for col in [c for c in base.columns if "." in c and not c.startswith("train.")]:
        failed[col] = float("nan")
    return {
        "two models": base,
        "one model, one representation": base[(base.seed == 0) & (base.representation == "mean")],
        "no score columns": base[[c for c in base.columns if "." not in c]],
        "only failed trials": failed,
        "single data set, missing MIG": synthetic_table(datasets=1, methods=2, strengths=2, seeds=3).drop(
            columns=["mig.discrete_mig"]
        ),
    }


@pytest.mark.parametrize("name", list(_thin_tables()))
def test_thin_tables_do_not_crash_and_say_what_is_missing(name: str, tmp_path: Path) -> None:
    df = _thin_tables()[name]
    path = write_report(df, tmp_path, draws=200)
    html = path.read_text(encoding="utf-8")
    for key in SECTIONS:
        assert f"id='{key}'" in html, key
    assert "failed on this table" not in html and "could not be drawn" not in html
    assert re.search(r"too few models|not computed|missing|Not available|Nothing to show", html)
    for png in tmp_path.glob("*.png"):
        assert png.stat().st_size > 0
    if name == "single data set, missing MIG":
        assert "mig.discrete_mig" in html


def test_regenerating_removes_stale_figures_only(tmp_path: Path) -> None:
    (tmp_path / "scores_by_method_5_cars3d.png").write_bytes(b"old")
    (tmp_path / "README.md").write_text("keep me")
    write_report(synthetic_table(datasets=1, methods=1, strengths=2, seeds=2), tmp_path, draws=100)
    assert not (tmp_path / "scores_by_method_5_cars3d.png").exists()
    assert (tmp_path / "README.md").read_text() == "keep me"
    assert (tmp_path / "scores_by_method_0_dsprites_full__stand-in_.png").exists()  # a rendered stand-in


def test_empty_table_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no rows"):
        write_report(pd.DataFrame(), tmp_path)


@pytest.mark.slow
def test_two_figure_processes_draw_the_same_files(tmp_path: Path) -> None:
    df = synthetic_table(datasets=1, methods=2, strengths=2, seeds=3)
    one = write_report(df, tmp_path / "one", draws=100, jobs=1)
    two = write_report(df, tmp_path / "two", draws=100, jobs=2)
    names = sorted(p.name for p in one.parent.glob("*.png"))
    assert names == sorted(p.name for p in two.parent.glob("*.png")) and len(names) == 9
    for name in names:  # same figures, drawn in a worker process
        assert (one.parent / name).read_bytes() == (two.parent / name).read_bytes(), name
