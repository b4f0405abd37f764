"""Unsupervised model selection: do unsupervised scores track the disentanglement scores?
(docs/reference/analyses.md §3(d))

The paper (§5.4, claim c5) correlates the training-time unsupervised scores (reconstruction
loss, KL, ELBO) and the estimated total correlation of the sampled and of the mean
representation with the disentanglement scores, per data set, and finds no consistent pattern.
Here: per data set the Spearman matrix (unsupervised score × disentanglement score on the mean
representation) over the completed models, and per pair a summary across data sets (sign
agreement, smallest and largest ρ).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from disentbench.reports import columns as C
from disentbench.reports.section import Section

TITLE = "Unsupervised model selection"

#: |ρ| at or above which a correlation counts as strong in the cross-data-set summary.
STRONG = 0.5


def per_model(df: pd.DataFrame) -> pd.DataFrame:
    """One row per completed model: its mean-representation row plus the TC of both representations.

    Adds ``TC (mean)`` and ``TC (sampled)`` columns from the respective rows of the model (joined
    on ``trial_id``, or the setting and seed when the table has no trial id).
    """
    mean = C.representation(df, "mean").copy()
    key = C.model_key(df)
    for kind in ("mean", "sampled"):
        rows = C.representation(df, kind)
        if not C.present(rows, [C.TC_COLUMN]) or not key:
            continue
        tc = (
            rows[[*key, C.TC_COLUMN]]
            .drop_duplicates(subset=key)
            .rename(columns={C.TC_COLUMN: f"TC ({kind})"})
        )
        tc[f"TC ({kind})"] = C.numeric(tc, [f"TC ({kind})"])
        mean = mean.merge(tc, on=key, how="left")
    return mean


def analyse(df: pd.DataFrame) -> Section:
    """Spearman matrices (unsupervised × disentanglement scores) per data set and their consistency."""
    section = Section(
        key="unsupervised_selection",
        title=TITLE,
        description="Spearman rank correlation between the unsupervised scores (training "
        "reconstruction loss, KL, ELBO, total correlation of the sampled and the mean "
        "representation) and the disentanglement scores, per data set (docs/reference/analyses.md §3(d), "
        "claim c5).",
    )
    models = per_model(df)
    unsup = C.present(models, [*C.TRAIN_SCORES, "TC (sampled)", "TC (mean)"])
    scores = C.disentanglement_scores(models)
    absent = C.missing(models, [*C.TRAIN_SCORES, "TC (sampled)", "TC (mean)"])
    if absent:
        section.note("Unsupervised scores missing from the table (left out): " + ", ".join(absent) + ".")
    if not unsup or not scores:
        section.note("Need at least one unsupervised and one disentanglement score: nothing to correlate.")
        return section
    parts, matrices = [], {}
    for dataset in C.datasets(models):
        sub = models[models["dataset"].astype(str) == dataset]
        rho, n = C.spearman(C.numeric(sub, [*unsup, *scores]))
        rho, n = rho.loc[unsup, scores], n.loc[unsup, scores]
        rho.index = n.index = [C.label(u) for u in unsup]
        rho.columns = n.columns = [C.label(s) for s in scores]
        matrices[dataset] = (rho, len(sub))
        part = C.tidy_matrix(rho, n, "unsupervised_score", "score")
        part.insert(0, "dataset", dataset)
        parts.append(part)
        if len(sub) < C.MIN_MODELS_FOR_CORRELATION:
            section.note(
                f"{dataset}: only {len(sub)} models; fewer than {C.MIN_MODELS_FOR_CORRELATION}, so "
                "these correlations are not conclusive."
            )
    tidy = pd.concat(parts, ignore_index=True)
    section.tables["Spearman ρ, unsupervised score × disentanglement score, per data set"] = tidy
    summary = (
        tidy.dropna(subset=["rho"])
        .groupby(["unsupervised_score", "score"], sort=False)["rho"]
        .agg(
            n_datasets="count",
            rho_min="min",
            rho_max="max",
            rho_median="median",
            share_positive=lambda r: float((r > 0).mean()),
            consistent_strong=lambda r: bool((r >= STRONG).all() or (r <= -STRONG).all()),
        )
        .reset_index()
    )
    section.tables[f"Across data sets: range of ρ and whether |ρ| ≥ {STRONG} with one sign everywhere"] = (
        summary
    )
    if len(matrices) < 2:
        section.note("A single data set: consistency across data sets cannot be judged.")
    section.data.update(matrices=matrices, tidy=tidy, summary=summary)
    return section


def plot(section: Section, out_dir: Path) -> list[Path]:
    """One heatmap grid, a panel per data set."""
    from disentbench.reports.plotting import dataset_heatmaps

    return dataset_heatmaps(
        section,
        "Spearman ρ: unsupervised scores vs disentanglement scores",
        out_dir / "unsupervised_selection.png",
    )
