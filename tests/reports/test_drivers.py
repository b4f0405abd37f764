"""Variance decomposition: the shares add up, and they name the planted dominant source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from disentbench.reports import drivers
from disentbench.reports.synthetic import Effects, synthetic_table


def _shares(df: pd.DataFrame, score: str = "MIG") -> pd.Series:
    dec = drivers.analyse(df).data["decomposition"]
    return dec[dec["score"] == score].iloc[0]


def test_seed_dominated_table_says_seed() -> None:
    df = synthetic_table(datasets=1, seeds=20, effects=Effects(method=0.0, hyperparameter=0.0, seed=1.0))
    row = _shares(df)
    assert row["share_seed"] > 0.9
    assert row["share_method"] < 0.05 and row["share_hyperparameter"] < 0.05


def test_method_dominated_table_says_method() -> None:
    df = synthetic_table(
        datasets=1, seeds=10, effects=Effects(method=3.0, hyperparameter=0.0, seed=0.05), random_seed=4
    )
    row = _shares(df, "FactorVAE")
    assert row["share_method"] > row["share_seed"] + row["share_hyperparameter"]


def test_shares_are_an_exact_decomposition() -> None:
    rng = np.random.default_rng(0)
    method = pd.Series(["a"] * 6 + ["b"] * 6)
    setting = pd.Series(["a1"] * 3 + ["a2"] * 3 + ["b1"] * 3 + ["b2"] * 3)
    y = pd.Series(rng.normal(size=12))
    shares = drivers.variance_shares(y, method, setting)
    assert shares["method"] + shares["hyperparameter"] + shares["seed"] == pytest.approx(1.0)
    # hand computation of the method share
    grand = y.mean()
    ss_m = 6 * (y[:6].mean() - grand) ** 2 + 6 * (y[6:].mean() - grand) ** 2
    assert shares["method"] == pytest.approx(ss_m / ((y - grand) ** 2).sum())


def test_constant_score_and_one_model_per_setting_do_not_crash() -> None:
    df = synthetic_table(datasets=1, methods=1, strengths=3, seeds=1)
    df["sap.SAP_score"] = 0.5
    section = drivers.analyse(df)
    dec = section.data["decomposition"]
    assert np.isnan(dec.loc[dec.score == "SAP", "share_seed"]).all()
    assert any("single method" in n for n in section.notes)
    assert any("seed share cannot be estimated" in n for n in section.notes)
