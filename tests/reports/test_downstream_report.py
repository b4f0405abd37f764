"""Downstream: efficiency is acc(100)/acc(10,000) and correlations are per data set."""

from __future__ import annotations

import numpy as np
import pandas as pd

from disentbench.reports import downstream
from disentbench.reports.synthetic import synthetic_table


def test_efficiency_and_correlations(small_table: pd.DataFrame) -> None:
    rows = small_table[small_table.representation == "mean"]
    targets = downstream.targets(rows)
    sizes = ("10", "100", "1000", "10000", "eff.")
    assert list(targets.columns) == [f"LR {n}" for n in sizes] + [f"GBT {n}" for n in sizes]
    expected = (
        rows["downstream_boosted_trees.100:mean_test_accuracy"]
        / rows["downstream_boosted_trees.10000:mean_test_accuracy"]
    )
    assert np.allclose(targets["GBT eff."], expected)
    section = downstream.analyse(small_table)
    tidy = section.data["tidy"]
    assert set(tidy["dataset"]) == {"dsprites_full", "color_dsprites"}
    assert set(tidy["n_models"]) == {54}


def test_planted_positive_relation_with_accuracy() -> None:
    df = synthetic_table(datasets=1, seeds=10, random_seed=3)
    tidy = downstream.analyse(df).data["tidy"].set_index(["score", "target"])
    assert tidy.loc[("FactorVAE", "GBT 10000"), "rho"] > 0.3
    assert abs(tidy.loc[("Modularity", "GBT 10000"), "rho"]) < 0.15


def test_missing_downstream_columns() -> None:
    df = synthetic_table(datasets=1, methods=1, strengths=2, seeds=3)
    df = df[[c for c in df.columns if not c.startswith("downstream_boosted_trees")]]
    section = downstream.analyse(df)
    assert any("GBT 10" in n for n in section.notes)
    assert "GBT eff." not in set(section.data["tidy"]["target"])
