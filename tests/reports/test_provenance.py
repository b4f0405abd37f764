"""Reports never pool rows of different data sources or scikit-learn semantics, and say which is which."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _tables import COHORT_GRID, cohort_table

from disentbench.reports import agreement, drivers, findings, leaderboard
from disentbench.reports import columns as C
from disentbench.reports.pipeline import run_analyses, write_report


def test_cohort_labels(mixed_table: pd.DataFrame, cohort_tables: dict[str, pd.DataFrame]) -> None:
    labelled = C.with_cohorts(mixed_table)
    assert C.datasets(labelled) == list(cohort_tables)
    assert set(labelled["dataset_name"]) == {"dsprites_full"}
    assert C.with_cohorts(labelled)["dataset"].equals(labelled["dataset"])  # labelling twice: the same
    one = C.with_cohorts(cohort_tables["dsprites_full (stand-in) · sklearn modern"])
    assert C.datasets(one) == ["dsprites_full (stand-in)"]  # one semantics: no semantics in the label
    assert C.datasets(C.with_cohorts(cohort_tables["dsprites_full · sklearn 2019"])) == ["dsprites_full"]


def test_semantics_from_older_tables_and_unknown_sources() -> None:
    df = pd.DataFrame({"dataset": ["a", "a", "a"], "data_source": ["official", None, "rendered"],
                       "meta.sklearn_semantics": ["2019", "2019", None]})  # fmt: skip
    assert C.sklearn_semantics(df).tolist() == ["2019", "2019", "unknown"]
    assert C.data_sources(df).tolist() == ["official", "unknown", "rendered"]
    assert C.datasets(C.with_cohorts(df)) == ["a · sklearn 2019", "a (source unknown) · sklearn 2019",
                                              "a (stand-in) · sklearn unknown"]  # fmt: skip


def test_analyses_of_the_mixed_table_equal_each_cohort_alone(
    mixed_table: pd.DataFrame, cohort_tables: dict[str, pd.DataFrame]
) -> None:
    mixed = agreement.analyse(C.with_cohorts(mixed_table)).data["matrices"]
    decomposition = drivers.analyse(C.with_cohorts(mixed_table)).data["decomposition"].set_index("dataset")
    for label, alone in cohort_tables.items():
        single = agreement.analyse(alone).data["matrices"]
        (rho, n), = [v for (d, kind), v in single.items() if kind == "mean"]  # fmt: skip
        mixed_rho, mixed_n = mixed[(label, "mean")]
        assert mixed_n == n == 3 * 3 * 6  # not 3 × that: no rows of another cohort
        pd.testing.assert_frame_equal(mixed_rho, rho)
        own = drivers.analyse(alone).data["decomposition"]
        np.testing.assert_allclose(decomposition.loc[label, "share_seed"], own["share_seed"])


def test_leaderboard_ranks_each_cohort_apart_and_names_its_semantics(
    mixed_table: pd.DataFrame, cohort_tables: dict[str, pd.DataFrame]
) -> None:
    board = leaderboard.build(mixed_table, preset="paper")
    t = board.table
    assert {"data_source", "sklearn_semantics"} <= set(t.columns)
    assert len(t) == 3 * 9 and set(t["n_seeds"]) == {COHORT_GRID["seeds"]}  # no pooled setting
    for (source, semantics), sub in t.groupby(["data_source", "sklearn_semantics"]):
        assert sorted(sub["rank"]) == sorted(sub["mean rank"].rank(method="average"))  # ranked alone
        alone = leaderboard.build(cohort_table(source, semantics, 0, **COHORT_GRID), preset="paper").table
        assert len(alone) == len(sub)
    official_modern = t[(t.data_source == "official") & (t.sklearn_semantics == "modern")]
    alone = leaderboard.build(cohort_tables["dsprites_full · sklearn modern"], preset="paper").table
    pd.testing.assert_frame_equal(official_modern.reset_index(drop=True), alone)
    markdown = leaderboard.to_markdown(board)
    for label in cohort_tables:
        assert f"## {label}" in markdown
    csv = pd.read_csv(io.StringIO(leaderboard.to_csv(board)))
    cohorts = set(zip(csv.data_source, csv.sklearn_semantics, strict=True))
    assert cohorts == {("official", "modern"), ("official", "2019"), ("rendered", "modern")}


@pytest.mark.parametrize(
    ("cohorts", "caveat"),
    [
        (["dsprites_full (stand-in) · sklearn modern"], "on stand-in data, not the paper's data sets"),
        (["dsprites_full · sklearn modern", "dsprites_full (stand-in) · sklearn modern"],
         "partly on stand-in data: dsprites_full (stand-in)"),
        (["dsprites_full · sklearn modern"], ""),
    ],
    ids=["stand-in only", "official and stand-in", "official only"],
)  # fmt: skip
def test_findings_on_stand_in_data_say_so_in_the_verdict(
    cohorts: list[str], caveat: str, cohort_tables: dict[str, pd.DataFrame]
) -> None:
    df = pd.concat([cohort_tables[c] for c in cohorts], ignore_index=True)
    labelled = C.with_cohorts(df)
    items = findings.findings(run_analyses(df, draws=200), 100, C.datasets(labelled))
    reached = [f for f in items if f.verdict != findings.NOT_COMPUTED]
    assert reached
    for item in reached:
        assert item.caveat == caveat


def test_report_of_a_mixed_table_shows_them_apart(tmp_path: Path, mixed_table: pd.DataFrame) -> None:
    html = write_report(mixed_table, tmp_path, draws=200).read_text(encoding="utf-8")
    assert "scikit-learn semantics</th><td>modern (" in html and "2019 (" in html
    assert "Several scikit-learn semantics" in html and "Stand-in data" in html
    for label in ("dsprites_full · sklearn modern", "dsprites_full · sklearn 2019",
                  "dsprites_full (stand-in) · sklearn modern"):  # fmt: skip
        assert f"<h3>{label}</h3>" in html  # its own leaderboard table
        assert f"Spearman ρ, {label}, mean representation (54 models)" in html  # its own matrix
    findings_part = html[html.index("id='findings'") : html.index("id='agreement'")]
    caveat = (
        "<span class='caveat'>(partly on stand-in data: dsprites_full (stand-in) · sklearn modern)</span>"
    )
    assert findings_part.count(caveat) == 6  # in the verdict of every finding
    names = {p.name for p in tmp_path.glob("scores_by_method_*.png")}
    assert len(names) == 3 and any("stand-in" in n for n in names)
