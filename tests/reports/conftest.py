"""Shared fixtures: synthetic results tables with planted structure."""

from __future__ import annotations

import pandas as pd
import pytest

from disentbench.reports.synthetic import Effects, synthetic_table


@pytest.fixture(scope="session")
def small_table() -> pd.DataFrame:
    """2 data sets × 3 methods × 3 strengths × 6 seeds, both representations (216 rows)."""
    return synthetic_table(datasets=2, methods=3, strengths=3, seeds=6, random_seed=1)


@pytest.fixture(scope="session")
def medium_table() -> pd.DataFrame:
    """3 data sets × 6 methods × 6 strengths × 10 seeds (1,080 models)."""
    return synthetic_table(datasets=3, seeds=10, effects=Effects(0.5, 0.5, 0.7), random_seed=2)
