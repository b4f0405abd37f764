"""Pictures in the report: latent traversals of the best, median and worst model by each score.

A score says a model is disentangled; its traversals show it. For each data set and each
leaderboard score present (the paper's six, plus ``controllability.score`` when recorded), the
models of the mean representation are ranked by the score and the traversal pictures of the best,
the median and the worst are shown side by side.

The pictures come from the results directory: a study with ``evaluation.save_traversals: true``
stores each model's traversal picture in its record (``disentbench.inspection.trial_outputs``),
so the report stays a function of the results directory and needs no saved model. A table file
(``.csv``/``.parquet``) or a study without pictures gives a one-line note instead.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from disentbench.reports import columns as C

TITLE = "Traversals of the best, median and worst models"
ANCHOR = "traversals"
#: Record key and picture name written by ``disentbench.inspection.trial_outputs``.
IMAGES_KEY, TRAVERSALS_IMAGE = "images", "traversals.png"
#: Scores ranked besides the paper's six, when present.
EXTRA_RANKED = ("controllability.score",)


def _pictures(results: Path, trial_ids: set[str]) -> dict[str, str]:
    """``trial_id -> base64 PNG`` of the records in ``results/records`` that hold a picture.

    Only files that exist in the records folder are read (ids are matched against file names,
    never joined into a path).
    """
    folder = results / "records"
    out: dict[str, str] = {}
    if not folder.is_dir():
        return out
    for path in folder.glob("*.json"):
        if path.stem not in trial_ids:
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        image = (record.get(IMAGES_KEY) or {}).get(TRAVERSALS_IMAGE)
        if isinstance(image, str) and image:
            out[path.stem] = image
    return out


def _caption(row: pd.Series, rank: str, column: str) -> str:
    strength = row.get("strength")
    setting = f"{C.method_label(str(row.get('method')))} {row.get('hyperparameter')}={strength:g}"
    return f"{rank}: {setting}, seed {row.get('seed')} — {C.label(column)} {row[column]:.3f}"


def picks(frame: pd.DataFrame, column: str) -> list[tuple[str, pd.Series]]:
    """``[("best", row), ("median", row), ("worst", row)]`` by ``column`` (higher is better)."""
    values = pd.to_numeric(frame[column], errors="coerce")
    ranked = frame.loc[values[np.isfinite(values.to_numpy(dtype=float))].sort_values(ascending=False).index]
    if ranked.empty:
        return []
    n = len(ranked)
    return [("best", ranked.iloc[0]), ("median", ranked.iloc[(n - 1) // 2]), ("worst", ranked.iloc[n - 1])]


def html_section(df: pd.DataFrame, source: str | Path) -> str:
    """The report's traversal section (HTML), or a note when the results hold no pictures."""
    head = f"<h2 id='{ANCHOR}'>{escape(TITLE)}</h2>"
    rows = C.representation(df, "mean")
    scores = C.present(rows, [*C.LEADERBOARD_PRESETS["paper"], *EXTRA_RANKED])
    results = Path(source) if source else None
    pictures = _pictures(results, set(rows["trial_id"].astype(str))) if results and "trial_id" in rows else {}
    if not pictures:
        return head + (
            "<p class='note'>No traversal pictures in these results: run the study with "
            "<code>evaluation: {save_traversals: true}</code> to have each trial store its model's "
            "traversals (or look at one model with <code>disentbench inspect MODEL_DIR</code>).</p>"
        )
    parts = [
        head,
        "<p>Each picture: one observation's code, every latent dimension (rows, by decreasing KL to "
        "the prior) swept over the prior's 5 %–95 % quantiles (columns). Models of the mean "
        "representation ranked by each score.</p>",
    ]
    for dataset in C.datasets(rows):
        sub = rows[(rows["dataset"].astype(str) == dataset) & rows["trial_id"].astype(str).isin(pictures)]
        parts.append(f"<h3>{escape(dataset)}</h3>")
        for column in scores:
            chosen = picks(sub, column)
            if not chosen:
                continue
            label = C.label(column)
            parts.append(f"<details open><summary>by {escape(label)}</summary>")
            parts.append("<div style='display:grid;grid-template-columns:repeat(3,1fr);gap:12px'>")
            for rank, row in chosen:
                caption = escape(_caption(row, rank, column))
                data = pictures[str(row["trial_id"])]
                parts.append(
                    f"<figure style='margin:0'><img style='width:100%' alt='{caption}' "
                    f"src='data:image/png;base64,{data}'>"
                    f"<figcaption class='note'>{caption}</figcaption></figure>"
                )
            parts.append("</div></details>")
    return "\n".join(parts)
