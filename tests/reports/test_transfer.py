"""The Table 1 protocol: ≈ 50 % on pure noise, ≈ 100 % when one setting is best everywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd

from disentbench.reports import transfer
from disentbench.reports.synthetic import Effects, synthetic_table

NOISE = Effects(method=0.0, hyperparameter=0.0, seed=1.0)


def _cells(section) -> dict[tuple[str, str], float]:
    table = section.data["table"]
    return {(r.score, r.dataset): r.p_outperform_pct for r in table.itertuples()}


def test_pure_noise_is_chance() -> None:
    df = synthetic_table(datasets=2, seeds=10, effects=NOISE, representations=("mean",), random_seed=7)
    section = transfer.analyse(df, draws=10_000, seed=3)
    for cell, value in _cells(section).items():
        assert 47.0 < value < 53.0, (cell, value)
    assert (section.data["table"]["n_draws"] == 10_000).all()
    assert transfer.TIE_RULE in section.notes


def test_one_setting_best_everywhere_wins_almost_always() -> None:
    df = synthetic_table(
        datasets=2,
        seeds=10,
        effects=NOISE,
        best_setting=("beta_tc_vae", 3),
        representations=("mean",),
        random_seed=8,
    )
    section = transfer.analyse(df, draws=10_000, seed=3)
    table = section.data["table"]
    # the chosen setting loses only by tying with itself (the random pick hits it: 1/36, counted half)
    cells = _cells(section)
    for cell, value in cells.items():
        assert value > 97.0, (cell, value)
    same = table[(table.score == "same") & (table.dataset == "same")].iloc[0]
    assert abs(same["p_tie_pct"] - 100 / 36) < 1.0


def test_ties_count_half_and_are_reported() -> None:
    # a discrete score that is identical for every model: every comparison ties -> 50 %, 100 % ties
    df = synthetic_table(datasets=1, methods=2, strengths=2, seeds=4, representations=("mean",))
    for col in transfer.C.PAPER_SCORES:
        df[col] = 0.75
    section = transfer.analyse(df, draws=2_000)
    row = section.data["table"].iloc[0]
    assert row["p_tie_pct"] == 100.0 and row["p_outperform_pct"] == 50.0 and row["p_win_strict_pct"] == 0.0


def test_single_dataset_and_single_seed_leave_cells_empty() -> None:
    df = synthetic_table(datasets=1, methods=2, strengths=2, seeds=3, representations=("mean",))
    section = transfer.analyse(df, draws=500)
    table = section.data["table"]
    assert table.loc[table.dataset == "different", "n_draws"].eq(0).all()
    assert table.loc[table.dataset == "same", "n_draws"].eq(500).all()
    assert any("single data set" in n for n in section.notes)
    one_seed = synthetic_table(datasets=2, methods=2, strengths=2, seeds=1, representations=("mean",))
    section = transfer.analyse(one_seed, draws=500)
    assert section.data["table"]["n_draws"].eq(0).all()
    assert any("Fewer than two seeds" in n for n in section.notes)


def test_missing_models_are_redrawn() -> None:
    df = synthetic_table(
        datasets=2, methods=3, strengths=3, seeds=6, representations=("mean",), random_seed=2
    )
    df = df.sample(frac=0.7, random_state=0)  # holes in the grid
    cube = transfer.score_cube(df, ["mig.discrete_mig", "sap.SAP_score"])
    assert np.isnan(cube.values).any()
    result = transfer.simulate(cube, same_score=False, same_dataset=False, draws=3_000, seed=1)
    assert result["n_draws"] == 3_000 and 0.0 <= result["p_outperform"] <= 1.0


def test_no_scores_is_reported() -> None:
    df = pd.DataFrame(
        {"dataset": ["a"], "method": ["m"], "strength": [1.0], "seed": [0], "representation": ["mean"]}
    )
    section = transfer.analyse(df)
    assert not section.tables and any("No disentanglement scores" in n for n in section.notes)
