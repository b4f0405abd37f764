"""Unsupervised model selection: TC of both representations joins per model; consistency summary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from disentbench.reports import unsupervised_selection as us


def test_per_model_joins_tc_of_both_representations(small_table: pd.DataFrame) -> None:
    models = us.per_model(small_table)
    assert len(models) == len(small_table) // 2
    sampled = small_table[small_table.representation == "sampled"].set_index("trial_id")
    joined = models.set_index("trial_id")
    assert np.allclose(
        joined["TC (sampled)"], sampled.loc[joined.index, "unsupervised.gaussian_total_correlation"]
    )


def test_planted_strong_relation_is_flagged(medium_table: pd.DataFrame) -> None:
    df = medium_table.copy()
    df["train.kl_loss"] = -df["mig.discrete_mig"]  # KL perfectly anti-correlated with MIG everywhere
    section = us.analyse(df)
    summary = section.data["summary"].set_index(["unsupervised_score", "score"])
    assert summary.loc[("KL", "MIG"), "consistent_strong"]
    assert summary.loc[("KL", "MIG"), "rho_max"] == -1.0
    assert not summary.loc[("Reconstruction", "Modularity"), "consistent_strong"]


def test_missing_unsupervised_columns_are_named(small_table: pd.DataFrame) -> None:
    df = small_table.drop(columns=["train.elbo"])
    section = us.analyse(df)
    assert any("train.elbo" in n for n in section.notes)
