"""Leaderboard: medians and IQRs over seeds, per-score and mean ranks, average ranks for ties, formats."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disentbench.errors import UserError
from disentbench.reports import leaderboard


def _table() -> pd.DataFrame:
    """Three settings of one data set, two seeds each; A best on MIG, tie between B and C on SAP."""
    rows = []
    values = {  # setting -> (mig per seed, sap per seed)
        ("beta_vae", 1.0): ((0.9, 0.7), (0.2, 0.2)),
        ("beta_vae", 4.0): ((0.5, 0.3), (0.1, 0.1)),
        ("factor_vae", 10.0): ((0.1, 0.3), (0.1, 0.1)),
    }
    for (method, strength), (mig, sap) in values.items():
        for seed in (0, 1):
            for kind in ("mean", "sampled"):
                rows.append({
                    "trial_id": f"{method}-{strength}-{seed}", "status": "completed", "dataset": "d",
                    "method": method, "hyperparameter": "beta" if method == "beta_vae" else "gamma",
                    "strength": strength, "seed": seed, "representation": kind,
                    "mig.discrete_mig": mig[seed] if kind == "mean" else 0.0,
                    "sap.SAP_score": sap[seed] if kind == "mean" else 0.0,
                })  # fmt: skip
    return pd.DataFrame(rows)


def test_medians_iqr_ranks_and_ties() -> None:
    board = leaderboard.build(_table(), scores=["mig.discrete_mig", "sap.SAP_score"])
    t = board.table.set_index(["method", "strength"])
    assert t.loc[("beta_vae", 1.0), "MIG median"] == pytest.approx(0.8)
    assert t.loc[("beta_vae", 1.0), "MIG IQR"] == pytest.approx(0.1)  # quartiles of (0.7, 0.9): 0.75, 0.85
    assert t.loc[("beta_vae", 1.0), "n_seeds"] == 2
    assert list(t["MIG rank"]) == [1.0, 2.0, 3.0]
    # B and C tie on SAP (median 0.1): both get the average of ranks 2 and 3
    assert t.loc[("beta_vae", 4.0), "SAP rank"] == 2.5 and t.loc[("factor_vae", 10.0), "SAP rank"] == 2.5
    assert t.loc[("beta_vae", 4.0), "mean rank"] == pytest.approx(2.25)
    assert list(board.table["rank"]) == [1.0, 2.0, 3.0]
    assert board.preset is None


def test_equal_mean_ranks_share_the_average_rank() -> None:
    df = _table()
    df.loc[df.strength == 4.0, "mig.discrete_mig"] = 0.15  # B now below C on MIG: B (3, 2.5), C (2, 2.5)
    board = leaderboard.build(df, scores=["mig.discrete_mig", "sap.SAP_score"])
    t = board.table.set_index(["method", "strength"])
    assert t.loc[("beta_vae", 4.0), "mean rank"] == pytest.approx(2.75)
    assert t.loc[("factor_vae", 10.0), "mean rank"] == pytest.approx(2.25)
    df.loc[df.strength == 4.0, "mig.discrete_mig"] = 0.2
    df.loc[df.strength == 10.0, "mig.discrete_mig"] = 0.2  # B, C tie on both scores
    t = leaderboard.build(df, scores=["mig.discrete_mig", "sap.SAP_score"]).table.set_index(
        ["method", "strength"]
    )
    assert t.loc[("beta_vae", 4.0), "rank"] == 2.5 and t.loc[("factor_vae", 10.0), "rank"] == 2.5


def test_presets_and_missing_scores() -> None:
    board = leaderboard.build(_table(), preset="neurips2019")
    assert board.scores == ["mig.discrete_mig", "sap.SAP_score"]
    assert board.missing == ["factor_vae.eval_accuracy", "dci.disentanglement", "irs.IRS"]
    assert "Ranked on 2 of the 5 scores. Not in the table" in leaderboard.to_markdown(board)
    with pytest.raises(UserError, match="unknown leaderboard preset"):
        leaderboard.build(_table(), preset="nope")
    with pytest.raises(UserError, match="none of the leaderboard scores"):
        leaderboard.build(_table(), scores=["irs.IRS"])


def test_sampled_representation_is_separate() -> None:
    board = leaderboard.build(_table(), scores=["mig.discrete_mig"], representation="sampled")
    assert (board.table["MIG median"] == 0.0).all() and (board.table["rank"] == 2.0).all()


def test_formats(medium_table: pd.DataFrame) -> None:
    board = leaderboard.build(medium_table, preset="paper")
    assert len(board.table) == 3 * 36
    md = leaderboard.render(board, "md")
    assert md.count("## ") == 3 and "| method |" in md
    csv = pd.read_csv(io.StringIO(leaderboard.render(board, "csv")))
    assert list(csv["rank"][:1]) == [1.0] and "FactorVAE median" in csv.columns
    html = leaderboard.render(board, "html")
    assert html.startswith("<!DOCTYPE html>") and html.count("<table") == 3
    with pytest.raises(UserError):
        leaderboard.render(board, "xlsx")
    # per data set the ranks are a permutation-with-ties of 1..36
    for _, sub in board.table.groupby("dataset"):
        assert sub["rank"].sum() == pytest.approx(36 * 37 / 2)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=2, max_size=12))
def test_ranks_are_average_ranks_of_medians(values: list[int]) -> None:
    """Any scores (ties likely: few distinct values): ranks match scipy's average ranks, sum to n(n+1)/2."""
    from scipy.stats import rankdata

    df = pd.DataFrame({
        "dataset": "d", "method": "m", "strength": [float(i) for i in range(len(values))], "seed": 0,
        "representation": "mean", "mig.discrete_mig": [float(v) for v in values],
    })  # fmt: skip
    t = leaderboard.build(df, scores=["mig.discrete_mig"]).table.sort_values("strength")
    expected = rankdata([-v for v in values], method="average")
    assert list(t["MIG rank"]) == list(expected)
    assert list(t["rank"]) == list(expected)
    assert t["rank"].sum() == pytest.approx(len(values) * (len(values) + 1) / 2)
