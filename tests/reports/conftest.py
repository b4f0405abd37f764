"""Shared fixtures: synthetic results tables with planted structure."""

from __future__ import annotations

import pandas as pd
import pytest
from _tables import COHORT_GRID, COHORTS, cohort_table

from disentbench.reports.synthetic import Effects, synthetic_table


@pytest.fixture(scope="session")
def small_table() -> pd.DataFrame:
    """2 data sets × 3 methods × 3 strengths × 6 seeds, both representations (216 rows)."""
    return synthetic_table(datasets=2, methods=3, strengths=3, seeds=6, random_seed=1)


@pytest.fixture(scope="session")
def medium_table() -> pd.DataFrame:
    """3 data sets × 6 methods × 6 strengths × 10 seeds (1,080 models)."""
    return synthetic_table(datasets=3, seeds=10, effects=Effects(0.5, 0.5, 0.7), random_seed=2)


@pytest.fixture(scope="session")
def cohort_tables() -> dict[str, pd.DataFrame]:
    """Each cohort of the mixed table alone, by the label the report gives it in the mixed table."""
    return {label: cohort_table(*args[:2], args[2], **COHORT_GRID) for label, args in COHORTS.items()}


@pytest.fixture(scope="session")
def mixed_table(cohort_tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """dSprites three times: official with modern and with 2019 semantics, and the rendered stand-in."""
    return pd.concat(cohort_tables.values(), ignore_index=True)
