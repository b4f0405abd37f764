"""Placement of external models among the study's models, leaderboard highlight, neurips2019."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from disentbench.errors import UserError
from disentbench.reports import leaderboard, placement


def _table(datasets=("dsprites_full",)) -> pd.DataFrame:
    """Five study models (MIG 0.1 … 0.5, SAP 0.5 … 0.1) and one external model per data set."""
    rows = []
    for dataset in datasets:
        for seed, mig in enumerate([0.1, 0.2, 0.3, 0.4, 0.5]):
            rows.append(
                {"trial_id": f"{dataset}.b.{seed}", "dataset": dataset, "method": "beta_vae",
                 "label": None, "hyperparameter": "beta", "strength": float(seed % 2), "seed": seed,
                 "representation": "mean", "status": "completed", "preset": "paper",
                 "mig.discrete_mig": mig, "sap.SAP_score": round(0.6 - mig, 6), "irs.IRS": mig}
            )  # fmt: skip
        rows.append(
            {"trial_id": f"{dataset}.external.mine", "dataset": dataset, "method": "external",
             "label": "mine", "hyperparameter": None, "strength": np.nan, "seed": None,
             "representation": "mean", "status": "completed", "preset": "paper",
             "mig.discrete_mig": 0.35, "sap.SAP_score": 0.1, "irs.IRS": 0.5}
        )  # fmt: skip
    return pd.DataFrame(rows)


def test_percentile_and_rank():
    table = placement.place(_table(), "mine").set_index("score")
    assert table.loc["MIG", "value"] == 0.35
    assert table.loc["MIG", "percentile"] == pytest.approx(60.0)  # 3 of 5 below
    assert table.loc["MIG", "rank"] == 3 and table.loc["MIG", "of"] == 5  # 0.4 and 0.5 above
    assert table.loc["SAP", "percentile"] == pytest.approx(10.0)  # ties with the lowest: half of 1 of 5
    assert table.loc["SAP", "rank"] == 5
    assert table.loc["IRS", "percentile"] == pytest.approx(90.0) and table.loc["IRS", "rank"] == 1


def test_compares_only_same_preset_and_data_set():
    df = _table(("dsprites_full", "shapes3d"))
    df.loc[df["trial_id"] == "shapes3d.b.0", "preset"] = "fast"
    table = placement.place(df, "mine")
    counts = table[table["score"] == "MIG"].set_index("dataset")["of"]
    assert counts["dsprites_full"] == 5 and counts["shapes3d"] == 4


def test_report_section():
    section = placement.analyse(_table())
    assert section.data["labels"] == ["mine"]
    assert "mine: per score" in section.tables
    ranks = section.tables["mine: leaderboard (paper preset, mean representation)"]
    assert ranks.loc[0, "method"] == "external" and ranks.loc[0, "settings"] == 3
    empty = placement.analyse(_table()[lambda d: d["method"] != "external"])
    assert not empty.tables and "No external models" in empty.notes[0]


def test_leaderboard_highlight_marks_the_model():
    board = leaderboard.build(_table(), preset="paper", highlight="mine")
    marked = board.table[board.table["highlight"]]
    assert list(marked["label"]) == ["mine"] and marked["n_seeds"].tolist() == [1]
    assert "marked ◀" in leaderboard.to_markdown(board)
    with pytest.raises(UserError, match="no completed model with that label"):
        leaderboard.build(_table(), highlight="someone")


def test_neurips2019_states_what_is_unverified_and_prefers_mpi3d():
    board = leaderboard.build(_table(), preset="neurips2019")
    text = leaderboard.to_markdown(board)
    assert "Unverified" in text and "no MPI3D data set" in text
    both = leaderboard.build(_table(("dsprites_full", "mpi3d_toy")), preset="neurips2019")
    assert set(both.table["dataset"]) == {"mpi3d_toy"}
    assert "MPI3D data sets only (mpi3d_toy)" in leaderboard.to_markdown(both)
    assert leaderboard.build(_table(), preset="paper").notes == []


def test_report_places_external_models_and_keeps_them_out_of_the_paper_analyses():
    from disentbench.reports.pipeline import run_analyses

    sections = run_analyses(_table(), draws=10)
    assert "mine: per score" in sections["placement"].tables
    # The score agreement is over the five study models, not the external sixth.
    agreement = sections["agreement"].tables
    assert set(next(iter(agreement.values()))["n_models"]) == {5}
    assert any("(5 models)" in caption for caption in agreement)
    assert set(sections["drivers"].tables[next(iter(sections["drivers"].tables))]["n_methods"]) == {1}
    without = run_analyses(_table()[lambda d: d["method"] != "external"], draws=10)
    assert "placement" not in without  # no empty section when there is nothing to place
