"""Builders of synthetic results tables whose rows claim given data sources and scikit-learn semantics."""

from __future__ import annotations

import pandas as pd

from disentbench.reports.synthetic import synthetic_table


def cohort_table(data_source: str, sklearn_semantics: str, random_seed: int, **kwargs) -> pd.DataFrame:
    """A synthetic table whose rows claim one data source and one scikit-learn semantics.

    Trial ids carry both, so tables of several cohorts can be concatenated as one results table.
    """
    df = synthetic_table(
        data_source=data_source, sklearn_semantics=sklearn_semantics, random_seed=random_seed, **kwargs
    )
    return df.assign(trial_id=f"{data_source}-{sklearn_semantics}-" + df["trial_id"])


#: The three cohorts of :func:`mixed_table`, each as its own table (same grid, other scores).
COHORTS = {
    "dsprites_full · sklearn modern": ("official", "modern", 11),
    "dsprites_full · sklearn 2019": ("official", "2019", 12),
    "dsprites_full (stand-in) · sklearn modern": ("rendered", "modern", 13),
}
COHORT_GRID = {"datasets": 1, "methods": 3, "strengths": 3, "seeds": 6}
