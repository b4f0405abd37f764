"""Downstream performance and statistical efficiency vs the disentanglement scores (docs/reference/analyses.md
§3(f)).

The paper (§5.5, claim c7) correlates each score with the downstream test accuracy of logistic
regression (LR) and gradient-boosted trees (GBT) trained on 10, 100, 1,000 and 10,000 samples, and
with statistical efficiency = accuracy at 100 samples ÷ accuracy at 10,000. Here: per data set the
Spearman matrix (score × target) on the mean representation over the completed models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from disentbench.reports import columns as C
from disentbench.reports.section import Section

TITLE = "Downstream tasks"


def targets(df: pd.DataFrame) -> pd.DataFrame:
    """The downstream targets of each row: ``LR 10`` … ``GBT 10000`` and ``LR eff.``/``GBT eff.``.

    Returns a DataFrame aligned with ``df``; a target whose column is absent is left out.
    """
    out = {}
    for prefix, short in C.DOWNSTREAM_PREDICTORS.items():
        cols = {n: f"{prefix}.{n}:mean_test_accuracy" for n in C.DOWNSTREAM_SIZES}
        for n, col in cols.items():
            if C.present(df, [col]):
                out[f"{short} {n}"] = C.numeric(df, [col])[col]
        if f"{short} 100" in out and f"{short} 10000" in out:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = out[f"{short} 100"] / out[f"{short} 10000"]
            out[f"{short} eff."] = ratio.replace([np.inf, -np.inf], np.nan)
    return pd.DataFrame(out, index=df.index)


def analyse(df: pd.DataFrame) -> Section:
    """Spearman matrices (score × downstream target) per data set."""
    section = Section(
        key="downstream",
        title=TITLE,
        description="Spearman rank correlation of each disentanglement score with downstream test "
        "accuracy (logistic regression and gradient-boosted trees at 10/100/1,000/10,000 training "
        "samples) and with statistical efficiency = accuracy at 100 ÷ accuracy at 10,000 "
        "(docs/reference/analyses.md §3(f), claim c7), mean representation.",
    )
    rows = C.representation(df, "mean")
    scores = C.disentanglement_scores(rows)
    target = targets(rows)
    expected = [f"{s} {n}" for s in C.DOWNSTREAM_PREDICTORS.values() for n in C.DOWNSTREAM_SIZES]
    absent = [t for t in expected if t not in target.columns]
    if absent:
        section.note("Downstream accuracies missing from the table (left out): " + ", ".join(absent) + ".")
    if target.empty or not scores:
        section.note("Need downstream accuracies and disentanglement scores: nothing to correlate.")
        return section
    parts, matrices = [], {}
    for dataset in C.datasets(rows):
        mask = rows["dataset"].astype(str) == dataset
        frame = pd.concat([C.numeric(rows[mask], scores), target[mask]], axis=1)
        rho, n = C.spearman(frame)
        rho, n = rho.loc[scores, list(target.columns)], n.loc[scores, list(target.columns)]
        rho.index = n.index = [C.label(s) for s in scores]
        matrices[dataset] = (rho, int(mask.sum()))
        part = C.tidy_matrix(rho, n, "score", "target")
        part.insert(0, "dataset", dataset)
        parts.append(part)
        if mask.sum() < C.MIN_MODELS_FOR_CORRELATION:
            section.note(
                f"{dataset}: only {int(mask.sum())} models; fewer than {C.MIN_MODELS_FOR_CORRELATION}, "
                "so these correlations are not conclusive."
            )
    tidy = pd.concat(parts, ignore_index=True)
    section.tables["Spearman ρ, score × downstream target, per data set"] = tidy
    section.data.update(matrices=matrices, tidy=tidy)
    return section


def plot(section: Section, out_dir: Path) -> list[Path]:
    """One heatmap grid, a panel per data set."""
    from disentbench.reports.plotting import dataset_heatmaps

    return dataset_heatmaps(
        section,
        "Spearman ρ: scores vs downstream accuracy and efficiency",
        out_dir / "downstream.png",
        ncols=2,
    )
