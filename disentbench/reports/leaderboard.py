"""The leaderboard: settings ranked per score and by mean rank (README.md; docs/reference/analyses.md §4).

One row per (data set, method, strength): the median and interquartile range (IQR) over seeds of
each chosen score on the mean representation. Within each data set, settings are ranked per score
by their median (1 = highest; every score here is higher-is-better), ties getting the average of
the ranks they span; the aggregate is the mean of the per-score ranks, itself ranked with average
ranks for ties. A setting without a score counts with the ranks it has (``n_scores`` says how
many). This is the mean-rank (Borda-style) aggregation docs/reference/analyses.md §4 recommends; the NeurIPS
2019 challenge's official aggregation rule is unverified there.

Rows of different data sources or scikit-learn semantics are never pooled or ranked together:
a "data set" here is a (data set, ``data_source``, ``sklearn_semantics``) cohort, both columns are
in every row, and each cohort is its own table, titled e.g. ``shapes3d (stand-in) · sklearn 2019``.

Presets: ``paper`` (the paper's six scores) and ``neurips2019`` (the challenge's five: FactorVAE,
DCI, MIG, SAP, IRS). Scores of a preset that the table lacks are left out and named in
``Leaderboard.missing``.

``neurips2019`` follows the NeurIPS 2019 disentanglement challenge as far as it is documented
(docs/reference/analyses.md §4): those five scores, per-score ranks, the mean rank; on the MPI3D
data sets when the table holds any (the challenge's data), else on every data set. What is not
verified about the challenge's own aggregation is stated in the output
(:data:`NEURIPS2019_UNVERIFIED`).

Models scored outside a study (``disentbench evaluate --name LABEL``) are settings of their own
(the ``label`` column joins the setting key); ``highlight=LABEL`` marks their rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

import pandas as pd

from disentbench.errors import UserError
from disentbench.reports import columns as C

FORMATS = ("md", "csv", "html")

#: What the ``neurips2019`` preset cannot confirm about the challenge (docs/reference/analyses.md §4).
NEURIPS2019_UNVERIFIED = (
    "Unverified: the challenge's rules say only that the final ranking was 'a mixture of several "
    "disentanglement metrics'; ranking by the mean of per-score ranks (ties averaged) is our reading, "
    "not a confirmed rule. The challenge ranked single submitted models on a hidden MPI3D variant and "
    "scored every metric with evaluation seed 0 (`evaluate --seeds challenge`); these rows are "
    "settings (median over seeds) on the data sets below."
)
#: Data sets of the challenge (MPI3D variants), matched by name prefix.
NEURIPS2019_DATASET_PREFIX = "mpi3d"


@dataclass
class Leaderboard:
    """The ranked table and what went into it."""

    table: pd.DataFrame
    scores: list[str]
    preset: str | None
    representation: str
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    highlight: str | None = None


def resolve_scores(preset: str | None, scores: Sequence[str] | None) -> list[str]:
    """The score columns for a preset or an explicit list (which wins); raises ``UserError`` if unknown."""
    if scores:
        return list(scores)
    name = preset or "paper"
    if name not in C.LEADERBOARD_PRESETS:
        raise UserError(
            f"unknown leaderboard preset {name!r}; expected one of {sorted(C.LEADERBOARD_PRESETS)}"
        )
    return list(C.LEADERBOARD_PRESETS[name])


def build(
    df: pd.DataFrame,
    preset: str | None = "paper",
    scores: Sequence[str] | None = None,
    representation: str = "mean",
    highlight: str | None = None,
) -> Leaderboard:
    """Rank the (data set, method, strength) settings of ``df`` (see the module docstring).

    ``highlight`` (a label or method name) adds a boolean ``highlight`` column marking its rows.
    Raises ``UserError`` when none of the requested scores is in the table, the table lacks the
    setting columns, or no model matches ``highlight``.
    """
    wanted = resolve_scores(preset, scores)
    if lack := C.lacking(df, C.SETTING_COLUMNS, "a leaderboard needs them"):
        raise UserError(f"results table: {lack}")
    rows = C.representation(df, representation)
    notes: list[str] = []
    if not scores and preset == "neurips2019":
        rows, notes = _neurips2019_rows(rows)
    if highlight is not None and not _matches(rows, highlight).any():
        raise UserError(
            f"--highlight {highlight!r}: no completed model with that label or method "
            f"({representation} representation); labels in the table: "
            + (", ".join(sorted(rows["label"].dropna().astype(str).unique())) if "label" in rows else "none")
        )
    have = C.present(rows, wanted)
    missing = [s for s in wanted if s not in have]
    if not have:
        raise UserError(
            f"none of the leaderboard scores {wanted} is in the results table "
            f"({representation} representation, completed trials)"
        )
    rows = rows.assign(data_source=C.data_sources(rows), sklearn_semantics=C.sklearn_semantics(rows))
    cohort = ["dataset", "data_source", "sklearn_semantics"]
    setting = ["method", "hyperparameter", "strength"] if "hyperparameter" in rows.columns else [
        "method", "strength"
    ]  # fmt: skip
    keys = cohort + setting
    if "label" in rows.columns and rows["label"].notna().any():
        keys.insert(len(cohort) + 1, "label")
    values = pd.concat(
        [rows[keys].reset_index(drop=True), C.numeric(rows, have).reset_index(drop=True)], axis=1
    )
    # Group by a setting number: a key that is missing (an external model has no strength, a study
    # model no label) would otherwise break the alignment of the per-group statistics.
    values["_setting"] = values.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    grouped = values.groupby("_setting")
    q = grouped[have].quantile([0.25, 0.5, 0.75]).unstack()
    stats = {key: grouped[key].first() for key in keys}
    stats["n_seeds"] = grouped.size()
    for score in have:
        name = C.label(score)
        stats[f"{name} median"] = q[(score, 0.5)]
        stats[f"{name} IQR"] = q[(score, 0.75)] - q[(score, 0.25)]
    table = pd.DataFrame(stats).reset_index(drop=True)
    rank_cols = []
    for score in have:
        name = C.label(score)
        table[f"{name} rank"] = table.groupby(cohort, sort=False)[f"{name} median"].rank(
            ascending=False, method="average"
        )
        rank_cols.append(f"{name} rank")
    table["n_scores"] = table[rank_cols].notna().sum(axis=1)
    table["mean rank"] = table[rank_cols].mean(axis=1, skipna=True)
    table["rank"] = table.groupby(cohort, sort=False)["mean rank"].rank(ascending=True, method="average")
    order = {d: i for i, d in enumerate(C.datasets(rows))}
    table = (
        table.assign(_d=table["dataset"].map(order))
        .sort_values(["_d", "data_source", "sklearn_semantics", "rank", "method", "strength"], kind="stable")
        .drop(columns="_d")
        .reset_index(drop=True)
    )
    if highlight is not None:
        table["highlight"] = _matches(table, highlight).to_numpy()
    label = None if scores else (preset or "paper")
    return Leaderboard(table, have, label, representation, missing, notes, highlight)


def _matches(frame: pd.DataFrame, name: str) -> pd.Series:
    """Rows whose label or method is ``name``."""
    mask = pd.Series(False, index=frame.index)
    for column in ("label", "method"):
        if column in frame.columns:
            mask |= frame[column].astype(str) == name
    return mask


def _neurips2019_rows(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The challenge's data sets (MPI3D) when present, else every data set; with the notes to show."""
    notes = [NEURIPS2019_UNVERIFIED]
    names = C.datasets(rows)
    mpi3d = [d for d in names if d.startswith(NEURIPS2019_DATASET_PREFIX)]
    if mpi3d:
        rows = rows[rows["dataset"].astype(str).isin(mpi3d)]
        if len(mpi3d) < len(names):
            notes.append("Ranked on the MPI3D data sets only (" + ", ".join(mpi3d) + "), as the challenge.")
    else:
        notes.append(
            "The table holds no MPI3D data set (the challenge's data): ranked on "
            + (", ".join(names) or "no data set")
            + " instead."
        )
    return rows, notes


def to_markdown(board: Leaderboard, digits: int = 3) -> str:
    """The leaderboard as GitHub-flavoured Markdown, one table per data set."""
    lines = [_heading(board), ""]
    for title, sub in _cohorts(board):
        lines += [f"## {title}", ""]
        cols = [c for c in sub.columns if c != "dataset"]
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "|".join("---" for _ in cols) + "|")
        for _, row in sub.iterrows():
            lines.append("| " + " | ".join(_cell(c, row[c], digits) for c in cols) + " |")
        lines.append("")
    return "\n".join(lines)


def to_csv(board: Leaderboard) -> str:
    """The leaderboard as CSV (one table, a ``dataset`` column)."""
    return board.table.to_csv(index=False)


def to_html(board: Leaderboard, digits: int = 3, standalone: bool = True) -> str:
    """The leaderboard as HTML tables, one per data set; a full page when ``standalone``."""
    parts = [f"<p>{escape(_heading(board))}</p>"]
    for title, sub in _cohorts(board):
        parts.append(f"<h3>{escape(title)}</h3>")
        if "highlight" in sub.columns:
            sub = sub.assign(highlight=sub["highlight"].map(lambda v: "◀" if bool(v) else ""))
        parts.append(
            sub.drop(columns="dataset").to_html(
                index=False, float_format=lambda v: f"{v:.{digits}f}", classes="table", border=0, na_rep="–"
            )
        )
    body = "\n".join(parts)
    if not standalone:
        return body
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>disentbench leaderboard</title>"
        "<style>body{font-family:sans-serif;font-size:14px}table{border-collapse:collapse}"
        "td,th{padding:2px 6px;border-bottom:1px solid #ddd;text-align:right}</style></head>"
        f"<body><h1>Leaderboard</h1>{body}</body></html>"
    )


def render(board: Leaderboard, fmt: str) -> str:
    """The leaderboard in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "md":
        return to_markdown(board)
    if fmt == "csv":
        return to_csv(board)
    if fmt == "html":
        return to_html(board)
    raise UserError(f"unknown leaderboard format {fmt!r}; expected one of {list(FORMATS)}")


def _cohorts(board: Leaderboard) -> list[tuple[str, pd.DataFrame]]:
    """The leaderboard's tables, one per (data set, source, semantics), with their titles."""
    groups = board.table.groupby(["dataset", "data_source", "sklearn_semantics"], sort=False)
    sources = set(board.table["data_source"])
    unknown = C.UNKNOWN in sources and len(sources) > 1
    return [
        (C.cohort_label(str(dataset), source, semantics, unknown), sub)
        for (dataset, source, semantics), sub in groups
    ]


def _heading(board: Leaderboard) -> str:
    """One sentence saying what the ranking is over."""
    what = f"preset `{board.preset}`" if board.preset else "a custom score set"
    text = (
        f"Settings ranked within each data set by the mean of their per-score ranks ({what}: "
        f"{', '.join(C.label(s) for s in board.scores)}; {board.representation} representation; median "
        "over seeds; rank 1 = best; ties get average ranks). Each (data set, data source, scikit-learn "
        "semantics) is ranked on its own, never pooled."
    )
    if board.missing:
        total = len(board.scores) + len(board.missing)
        text += (
            f" Ranked on {len(board.scores)} of the {total} scores. Not in the table, so left out: "
            + ", ".join(C.label(s) for s in board.missing)
            + "."
        )
    if board.highlight is not None:
        text += f" Rows of {board.highlight!r} are marked ◀."
    for note in board.notes:
        text += " " + note
    return text


def _cell(column: str, value: object, digits: int) -> str:
    """A Markdown cell; the highlight flag shows as a marker."""
    if column == "highlight":
        return "◀" if bool(value) else ""
    return _fmt(value, digits)


def _fmt(value: object, digits: int) -> str:
    """A table cell: floats rounded, missing values as a dash."""
    if isinstance(value, float):
        if value != value:
            return "–"
        return f"{value:.{digits}f}" if not value.is_integer() else f"{value:g}"
    return str(value)
