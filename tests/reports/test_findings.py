"""Findings: verdicts follow the planted structure, and thin evidence says so."""

from __future__ import annotations

import pandas as pd

from disentbench.reports import findings
from disentbench.reports.pipeline import run_analyses
from disentbench.reports.synthetic import Effects, synthetic_table


def _verdicts(df: pd.DataFrame) -> dict[str, str]:
    sections = run_analyses(df, draws=2_000)
    items = findings.findings(sections, n_models=len(df) // 2)
    for f in items:
        assert isinstance(f.paper, str) and isinstance(f.result, str) and f.result, f
    return {f.claim[:3]: f.verdict for f in items}


def test_paper_like_table_is_consistent_where_planted(medium_table: pd.DataFrame) -> None:
    v = _verdicts(medium_table)
    assert v["(a)"] == findings.CONSISTENT
    assert v["(b)"] == findings.CONSISTENT
    assert v["(c)"] == findings.CONSISTENT
    assert v["(d)"] == findings.CONSISTENT


def test_contrary_structure_is_not_consistent() -> None:
    df = synthetic_table(
        datasets=2, seeds=6, effects=Effects(method=3.0, hyperparameter=0.1, seed=0.1), random_seed=5
    )
    df["modularity_explicitness.modularity_score"] = df[
        "mig.discrete_mig"
    ]  # Modularity no longer the outlier
    df["train.elbo"] = -df[
        "factor_vae.eval_accuracy"
    ]  # an unsupervised score that tracks a metric everywhere
    v = _verdicts(df)
    assert v["(c)"] == findings.INCONSISTENT  # the method dominates
    assert v["(d)"] == findings.INCONSISTENT
    assert v["(a)"] == findings.INCONSISTENT


def test_too_few_models_is_said_plainly() -> None:
    df = synthetic_table(datasets=1, methods=2, strengths=2, seeds=2)
    v = _verdicts(df)
    assert v["(a)"] == findings.TOO_FEW
    assert v["(b)"] == findings.TOO_FEW
    assert v["(d)"] == findings.TOO_FEW
    assert v["(e)"] == findings.TOO_FEW
    assert v["(f)"] == findings.TOO_FEW
