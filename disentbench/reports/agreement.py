"""Metric agreement: Spearman rank correlation between the disentanglement scores (docs/reference/analyses.md
§3(a)).

The paper's Fig. 2 shows, per data set, the rank correlation of the six scores over all models of
that data set on the mean representation. Here the matrices are computed for every data set and
both representations over the completed models, with pairwise-complete rows; every score column
present is used (the paper's six first, then IRS and the others).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from disentbench.reports import columns as C
from disentbench.reports.section import Section

TITLE = "Metric agreement"


def analyse(df: pd.DataFrame) -> Section:
    """Spearman matrices of the disentanglement scores per (data set, representation)."""
    section = Section(
        key="agreement",
        title=TITLE,
        description="Spearman rank correlation between the disentanglement scores over all models "
        "of a data set (docs/reference/analyses.md §3(a), the paper's Fig. 2), per representation.",
    )
    scores = C.disentanglement_scores(C.completed(df))
    absent = C.missing(df, C.PAPER_SCORES)
    if absent:
        section.note("Scores missing from the table (left out): " + ", ".join(absent) + ".")
    if len(scores) < 2:
        section.note("Fewer than two disentanglement scores are present: no correlation to compute.")
        return section
    tidy_parts, matrices = [], {}
    for kind in ("mean", "sampled"):
        rows = C.representation(df, kind)
        for dataset in C.datasets(rows):
            sub = rows[rows["dataset"].astype(str) == dataset]
            rho, n = C.spearman(C.numeric(sub, scores))
            labels = [C.label(s) for s in scores]
            rho.index = rho.columns = labels
            n.index = n.columns = labels
            matrices[(dataset, kind)] = (rho, len(sub))
            part = C.tidy_matrix(rho, n, "score_a", "score_b")
            part.insert(0, "representation", kind)
            part.insert(0, "dataset", dataset)
            tidy_parts.append(part)
            if len(sub) < C.MIN_MODELS_FOR_CORRELATION:
                section.note(
                    f"{dataset} ({kind}): only {len(sub)} models; fewer than "
                    f"{C.MIN_MODELS_FOR_CORRELATION}, so these correlations are not conclusive."
                )
    if not tidy_parts:
        section.note("No completed models: nothing to correlate.")
        return section
    tidy = pd.concat(tidy_parts, ignore_index=True)
    section.tables["Spearman ρ between scores, per data set and representation (long form)"] = tidy
    for (dataset, kind), (rho, n_models) in matrices.items():
        if kind == "mean":
            caption = f"Spearman ρ, {dataset}, mean representation ({n_models} models)"
            section.tables[caption] = rho.round(3).reset_index(names="score")
    section.data["matrices"] = matrices
    section.data["scores"] = scores
    return section


def plot(section: Section, out_dir: Path) -> list[Path]:
    """One heatmap grid (a panel per data set) per representation."""
    from disentbench.reports.plotting import heatmap_grid

    matrices = section.data.get("matrices", {})
    written = []
    for kind in ("mean", "sampled"):
        panels = [(f"{dataset} (n={n})", rho) for (dataset, k), (rho, n) in matrices.items() if k == kind]
        if panels:
            path = out_dir / f"agreement_{kind}.png"
            written.append(
                heatmap_grid(panels, f"Spearman ρ between scores ({kind} representation)", path, lower=True)
            )
    section.figures.extend(written)
    return written
