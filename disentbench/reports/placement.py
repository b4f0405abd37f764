"""Where a model scored outside the study stands among the study's models.

For each external model (``method == "external"``, written by ``disentbench evaluate --encoder
... --results``) or any model picked by label, method or trial id, and for each disentanglement
score: its value, its **percentile** among the study's models on the same data set and
representation (the share of those models scoring lower, ties counting half, in %), its **rank**
among them (1 + the number of study models scoring higher), and the number of study models. Only
study models scored with the same metric preset and scikit-learn semantics are compared, when the
table records them. The leaderboard rank (mean-rank ranking of ``leaderboard``'s ``paper``
preset, the model as its own setting) completes the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from disentbench.reports import columns as C
from disentbench.reports.section import Section

TITLE = "Placement of external models"
#: Method name of the records of external encoders.
EXTERNAL = "external"
#: Columns that must agree between a placed model and the models it is compared with.
COMPARABLE = ("preset", "meta.sklearn_semantics")


def external_labels(df: pd.DataFrame) -> list[str]:
    """Labels of the external models in the table, in order of appearance."""
    if "method" not in df.columns:
        return []
    rows = df[df["method"].astype(str) == EXTERNAL]
    column = "label" if "label" in rows.columns else "trial_id"
    return list(dict.fromkeys(rows[column].fillna(rows["trial_id"]).astype(str)))


def selects(df: pd.DataFrame, name: str) -> pd.Series:
    """Rows whose label, method or trial id is ``name``."""
    mask = pd.Series(False, index=df.index)
    for column in ("label", "method", "trial_id"):
        if column in df.columns:
            mask |= df[column].astype(str) == name
    return mask


def study_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The study's models: every row but the external models."""
    if "method" not in df.columns:
        return df
    return df[df["method"].astype(str) != EXTERNAL]


def place(
    df: pd.DataFrame,
    name: str,
    scores: Sequence[str] | None = None,
    representations: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per (model, data set, representation, score) of the models selected by ``name``.

    Columns: ``model`` (label or trial id), ``dataset``, ``representation``, ``score`` (label),
    ``value``, ``percentile``, ``rank``, ``of`` (the number of study models compared with).
    The models selected are compared with every completed row not selected (external models
    excluded), on the same data set, representation, preset and scikit-learn semantics.
    """
    done = C.completed(df)
    chosen_mask = selects(done, name)
    chosen = done[chosen_mask]
    others = study_rows(done[~chosen_mask])
    wanted = list(scores) if scores is not None else C.disentanglement_scores(chosen)
    out = []
    for _, row in chosen.iterrows():
        representation = row.get("representation", "mean")
        if representations is not None and representation not in representations:
            continue
        peers = others
        for column in ("dataset", "representation", *COMPARABLE):
            if column in peers.columns and column in row.index and pd.notna(row[column]):
                peers = peers[peers[column].astype(str) == str(row[column])]
        model = row["label"] if "label" in row.index and pd.notna(row["label"]) else row["trial_id"]
        for score in wanted:
            value = pd.to_numeric(pd.Series([row.get(score)]), errors="coerce").iloc[0]
            if score not in peers.columns or not np.isfinite(value):
                continue
            population = C.numeric(peers, [score])[score].dropna().to_numpy()
            n = len(population)
            below = float(np.sum(population < value))
            equal = float(np.sum(population == value))
            out.append(
                {
                    "model": model,
                    "dataset": row.get("dataset"),
                    "representation": representation,
                    "score": C.label(score),
                    "value": float(value),
                    "percentile": 100.0 * (below + 0.5 * equal) / n if n else np.nan,
                    "rank": int(np.sum(population > value)) + 1 if n else np.nan,
                    "of": n,
                }
            )
    return pd.DataFrame(
        out, columns=["model", "dataset", "representation", "score", "value", "percentile", "rank", "of"]
    )


def leaderboard_rank(df: pd.DataFrame, name: str, preset: str = "paper") -> pd.DataFrame:
    """The leaderboard rows (``preset``, mean representation) of the settings of model ``name``."""
    from disentbench.errors import UserError
    from disentbench.reports import leaderboard

    try:
        board = leaderboard.build(df, preset=preset, highlight=name)
    except UserError:
        return pd.DataFrame()
    table = board.table
    rows = table[table["highlight"].astype(bool)] if "highlight" in table.columns else table.iloc[:0]
    sizes = table.groupby("dataset", sort=False).size()
    keep = [c for c in ("dataset", "method", "label", "mean rank", "rank", "n_scores") if c in rows.columns]
    out = rows[keep].copy()
    out["settings"] = out["dataset"].map(sizes)
    return out.reset_index(drop=True)


def analyse(df: pd.DataFrame) -> Section:
    """The placement of every external model of ``df`` (an empty section says there is none)."""
    section = Section(
        key="placement",
        title=TITLE,
        description=(
            "Each external model's score, its percentile among the study's models on the same data "
            "set and representation (share scoring lower, ties half), and its rank among them."
        ),
    )
    labels = external_labels(df)
    if not labels:
        section.note("No external models in this table (add one with `disentbench evaluate --encoder`).")
        return section
    study = study_rows(C.completed(df))
    if study.empty:
        section.note("The table holds no study models to compare the external models with.")
    for label in labels:
        table = place(df, label)
        if table.empty:
            section.note(f"{label}: no disentanglement score to place.")
            continue
        section.tables[f"{label}: per score"] = table
        ranks = leaderboard_rank(df, label)
        if not ranks.empty:
            section.tables[f"{label}: leaderboard (paper preset, mean representation)"] = ranks
    section.data["labels"] = labels
    return section


def plot(section: Section, out_dir: Path) -> list[Path]:
    """No figures: the placement is a table."""
    return []


def render_placement(
    df: pd.DataFrame, name: str, scores: Sequence[str], representation: str, fmt: str
) -> str:
    """The placement of model ``name`` as text in a leaderboard format (``md``, ``csv``, ``html``)."""
    table = place(df, name, scores, [representation])
    heading = (
        f"Placement of {name!r} among the study's models ({representation} representation; percentile = "
        "% of study models scoring lower, ties half; rank 1 = best)"
    )
    if fmt == "csv":
        return "\n" + table.to_csv(index=False)
    if fmt == "html":
        return f"<h2>{heading}</h2>" + table.to_html(index=False, border=0, float_format=lambda v: f"{v:.3f}")
    lines = ["", f"## {heading}", ""]
    if table.empty:
        return "\n".join([*lines, "No score of this model to place.", ""])
    lines.append("| " + " | ".join(table.columns) + " |")
    lines.append("|" + "|".join("---" for _ in table.columns) + "|")
    for _, row in table.iterrows():
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join([*lines, ""])
