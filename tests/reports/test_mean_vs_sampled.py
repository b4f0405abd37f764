"""Total correlation against regularisation: the planted trends are recovered."""

from __future__ import annotations

import pandas as pd

from disentbench.reports import mean_vs_sampled
from disentbench.reports.synthetic import synthetic_table


def test_trends_recovered(medium_table: pd.DataFrame) -> None:
    section = mean_vs_sampled.analyse(medium_table)
    trend = section.data["trend"].set_index(["dataset", "method", "representation"])
    for method in ("beta_vae", "factor_vae", "beta_tc_vae", "annealed_vae"):
        assert trend.loc[("dsprites_full", method, "sampled"), "rho_strength_tc"] < -0.5
        assert trend.loc[("dsprites_full", method, "mean"), "rho_strength_tc"] > 0.5
    assert trend.loc[("dsprites_full", "dip_vae_i", "mean"), "rho_strength_tc"] < -0.5
    summary = section.data["summary"]
    assert set(summary["n_models"]) == {10}
    assert (summary["ci95"] > 0).all()


def test_annealed_vae_order_is_reversed() -> None:
    df = pd.DataFrame(
        {"method": ["annealed_vae"] * 3 + ["beta_vae"] * 3, "strength": [5.0, 50.0, 100.0, 1.0, 4.0, 16.0]}
    )
    order = mean_vs_sampled.regularisation_order(df)
    assert list(order) == [3.0, 2.0, 1.0, 1.0, 2.0, 3.0]


def test_one_representation_or_no_tc_is_reported() -> None:
    df = synthetic_table(datasets=1, methods=2, strengths=2, seeds=2, representations=("mean",))
    section = mean_vs_sampled.analyse(df)
    assert any("needs both" in n for n in section.notes)
    section = mean_vs_sampled.analyse(df.drop(columns=["unsupervised.gaussian_total_correlation"]))
    assert not section.tables and any(
        "No `unsupervised.gaussian_total_correlation`" in n for n in section.notes
    )
