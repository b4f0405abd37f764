"""Metric agreement: identical scores give ρ = 1, an independent one ρ ≈ 0; thin tables do not crash."""

from __future__ import annotations

import numpy as np
import pandas as pd

from disentbench.reports import agreement
from disentbench.reports.synthetic import synthetic_table


def _matrix(section, dataset: str, kind: str = "mean") -> pd.DataFrame:
    return section.data["matrices"][(dataset, kind)][0]


def test_identical_scores_rho_one_and_independent_score_rho_zero() -> None:
    df = synthetic_table(datasets=1, seeds=20, random_seed=3)  # 720 models
    rng = np.random.default_rng(0)
    df["factor_vae.eval_accuracy"] = df["beta_vae.eval_accuracy"]
    df["sap.SAP_score"] = rng.random(len(df))
    rho = _matrix(agreement.analyse(df), "dsprites_full")
    assert rho.loc["BetaVAE", "FactorVAE"] == 1.0
    assert abs(rho.loc["SAP", "BetaVAE"]) < 0.1
    assert abs(rho.loc["SAP", "MIG"]) < 0.1
    # the planted pair structure: MIG–DCI tighter than MIG–BetaVAE
    assert rho.loc["MIG", "DCI Disentanglement"] > rho.loc["MIG", "BetaVAE"] + 0.1


def test_matches_scipy_spearman(small_table: pd.DataFrame) -> None:
    from scipy.stats import spearmanr

    section = agreement.analyse(small_table)
    rows = small_table[(small_table.representation == "sampled") & (small_table.dataset == "color_dsprites")]
    expected = spearmanr(rows["mig.discrete_mig"], rows["sap.SAP_score"]).statistic
    assert np.isclose(_matrix(section, "color_dsprites", "sampled").loc["MIG", "SAP"], expected)
    tidy = next(iter(section.tables.values()))
    assert set(tidy.columns) == {"dataset", "representation", "score_a", "score_b", "rho", "n_models"}
    assert set(tidy["n_models"]) == {54}


def test_missing_metric_single_dataset_and_too_few_models() -> None:
    df = synthetic_table(datasets=1, methods=1, strengths=2, seeds=2).drop(columns=["mig.discrete_mig"])
    section = agreement.analyse(df)
    text = " ".join(section.notes)
    assert "mig.discrete_mig" in text
    assert "only 4 models" in text and "not conclusive" in text
    assert "MIG" not in _matrix(section, "dsprites_full").index


def test_fewer_than_two_scores_reports_instead_of_crashing() -> None:
    df = synthetic_table(datasets=1, methods=1, strengths=1, seeds=3)[
        ["dataset", "representation", "status", "mig.discrete_mig"]
    ]
    section = agreement.analyse(df)
    assert not section.tables
    assert any("Fewer than two" in n for n in section.notes)
