"""The HTML page of the report: overview, findings, each analysis's section, the leaderboards.

``page(...)`` lays out what ``reports.pipeline`` computed (sections with their tables, notes and
figure files, the findings, the leaderboards) as one self-contained HTML document: each PNG is
embedded as a base64 data URI, so the file works alone. It computes nothing itself.
"""

from __future__ import annotations

import base64
import datetime as _dt
from html import escape
from pathlib import Path

import pandas as pd

from disentbench import __version__
from disentbench.reports import columns as C
from disentbench.reports import findings, leaderboard, traversals
from disentbench.reports.section import Section

#: Tables longer than this are folded into a ``<details>`` element.
FOLD_ROWS = 40

_STYLE = """
body{font-family:system-ui,sans-serif;font-size:14px;max-width:1400px;margin:auto;padding:1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:2px solid #ccc;padding-top:.6em}h3{font-size:1.05em}
table{border-collapse:collapse;font-size:12px;margin:.4em 0}
td,th{padding:2px 6px;border-bottom:1px solid #e0e0e0;text-align:right;vertical-align:top}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
table.findings td{text-align:left;max-width:50em}
.verdict-consistent{color:#1a7f37;font-weight:bold}.verdict-not{color:#b35900;font-weight:bold}
.verdict-too,.verdict-notc{color:#666;font-weight:bold}.caveat{color:#b35900;font-weight:normal}
img{max-width:100%;border:1px solid #eee;margin:.3em 0}.note{color:#555}nav a{margin-right:1em}
"""


def _overview(df: pd.DataFrame) -> str:
    """What is in the table: models, status, data sets, methods, seeds, representations, sources."""
    key = C.model_key(df)
    models = df.drop_duplicates(subset=key) if key else df
    facts = [("rows (trial × representation)", f"{len(df):,}"), ("models", f"{len(models):,}")]
    if "status" in df.columns:
        counts = models["status"].astype(str).value_counts()
        facts.append(("status", ", ".join(f"{k}: {v:,}" for k, v in counts.items())))
    for col, name in (
        ("dataset", "data sets"), ("method", "methods"), ("representation", "representations"),
        ("data_source", "data sources"), ("sklearn_semantics", "scikit-learn semantics"),
        ("preset", "metric presets"), ("study", "studies"),
    ):  # fmt: skip
        if col in df.columns:
            counts = models[col].astype(str).value_counts(sort=False) if col != "representation" else (
                df[col].astype(str).value_counts(sort=False)
            )  # fmt: skip
            facts.append((name, ", ".join(f"{escape(str(k))} ({v:,})" for k, v in counts.items())))
    if "seed" in df.columns:
        facts.append(("seeds per setting", f"{models['seed'].nunique():,} distinct"))
    absent = C.missing(df, C.PAPER_SCORES)
    if absent:
        facts.append(("paper scores missing", ", ".join(absent)))
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in facts)
    return f"<table>{rows}</table>" + _pooling_note(df)


def _pooling_note(df: pd.DataFrame) -> str:
    """How the report keeps rows of different data sources and scikit-learn semantics apart."""
    labels = C.datasets(df)
    stand_ins = [d for d in labels if C.is_stand_in(d)]
    mixed = "sklearn_semantics" in df.columns and df["sklearn_semantics"].nunique() > 1
    if not stand_ins and not mixed:
        return ""
    parts = []
    if stand_ins:
        parts.append(
            "<b>Stand-in data.</b> " + ", ".join(f"<code>{escape(d)}</code>" for d in stand_ins)
            + (" is a rendered look-alike" if len(stand_ins) == 1 else " are rendered look-alikes")
            + " of the paper's data sets, not the official files: their numbers say nothing about the "
            "paper's data, and the findings say so."
        )  # fmt: skip
    if mixed:
        parts.append(
            "<b>Several scikit-learn semantics.</b> Scores computed with different scikit-learn "
            "semantics are not comparable (logistic-regression based scores differ most), so each "
            "data set appears once per semantics (<code>· sklearn …</code>) and is never pooled."
        )
    parts.append(
        "Rows of different data sources or semantics are analysed as separate data sets, never pooled."
    )
    return "".join(f"<p class='note'>{p}</p>" for p in parts)


def _table_html(frame: pd.DataFrame) -> str:
    """A DataFrame as an HTML table (floats to 3 decimals), folded when long."""
    html = frame.to_html(index=False, border=0, na_rep="–", float_format=lambda v: f"{v:.3f}")
    if len(frame) > FOLD_ROWS:
        return f"<details><summary>{len(frame):,} rows (click to show)</summary>{html}</details>"
    return html


def _img(path: Path) -> str:
    """An ``<img>`` with the PNG embedded as a data URI (and its file name as the caption)."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f"<figure><img alt='{escape(path.name)}' src='data:image/png;base64,{data}'>"
        f"<figcaption class='note'>{escape(path.name)}</figcaption></figure>"
    )


def _verdict_class(verdict: str) -> str:
    return {
        findings.CONSISTENT: "verdict-consistent",
        findings.INCONSISTENT: "verdict-not",
        findings.TOO_FEW: "verdict-too",
    }.get(verdict, "verdict-notc")


def _findings_html(items: list[findings.Finding]) -> str:
    rows = "".join(
        f"<tr><td>{escape(f.claim)}</td><td class='{_verdict_class(f.verdict)}'>{escape(f.verdict)}"
        + (f"<br><span class='caveat'>({escape(f.caveat)})</span>" if f.caveat else "")
        + "</td>"
        f"<td>{f.n_models:,}</td><td>{escape(f.paper)}</td><td>{escape(f.result)}</td></tr>"
        for f in items
    )
    head = "<tr><th>claim</th><th>verdict</th><th>models</th><th>the paper</th><th>these results</th></tr>"
    return (
        "<p class='note'>For each claim of the paper (docs/reference/analyses.md §3), what this results "
        "table shows. "
        "“too few models” means the table cannot support a conclusion either way.</p>"
        f"<table class='findings'>{head}{rows}</table>"
    )


def _section_html(number: int, section: Section) -> str:
    parts = [
        f"<h2 id='{section.key}'>{number}. {escape(section.title)}</h2>",
        f"<p>{escape(section.description)}</p>",
    ]
    if section.statements:
        parts.append("<ul>" + "".join(f"<li>{escape(s)}</li>" for s in section.statements) + "</ul>")
    for note in section.notes:
        parts.append(f"<p class='note'>{escape(note)}</p>")
    for path in section.figures:
        parts.append(_img(path))
    for caption, table in section.tables.items():
        parts.append(f"<h3>{escape(caption)}</h3>")
        parts.append(_table_html(table))
    if not section.figures and not section.tables:
        parts.append("<p class='note'><b>Nothing to show for this table</b> (see the notes above).</p>")
    return "\n".join(parts)


def _leaderboard_html(boards: dict[str, leaderboard.Leaderboard | str], number: int) -> str:
    parts = [f"<h2 id='leaderboard'>{number}. Leaderboard</h2>"]
    for name, board in boards.items():
        parts.append(f"<h3>Preset <code>{escape(name)}</code></h3>")
        if isinstance(board, str):
            parts.append(f"<p class='note'>Not available: {escape(board)}</p>")
        else:
            parts.append(f"<details open><summary>leaderboard_{escape(name)}.csv</summary>")
            parts.append(leaderboard.to_html(board, standalone=False))
            parts.append("</details>")
    return "\n".join(parts)


def page(
    df: pd.DataFrame,
    sections: dict[str, Section],
    items: list[findings.Finding],
    boards: dict[str, leaderboard.Leaderboard | str],
    source: str,
) -> str:
    """The report as one HTML document (``source`` names the results the table came from)."""
    nav = ["<a href='#overview'>Overview</a>", "<a href='#findings'>Findings</a>"]
    nav += [f"<a href='#{s.key}'>{escape(s.title)}</a>" for s in sections.values()]
    nav.append("<a href='#leaderboard'>Leaderboard</a>")
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        "<h1>disentbench report</h1>",
        f"<p class='note'>Generated {stamp} by disentbench {escape(__version__)} from "
        f"<code>{escape(source or 'a results table')}</code>. Analyses follow Locatello et al. (ICML 2019) "
        "as described in docs/reference/analyses.md.</p>",
        "<nav>" + "".join(nav) + "</nav>",
        "<h2 id='overview'>Overview</h2>",
        _overview(df),
        "<h2 id='findings'>Findings</h2>",
        _findings_html(items),
    ]
    body += [_section_html(i, s) for i, s in enumerate(sections.values(), start=1)]
    body.append(traversals.html_section(df, source))  # pictures saved by the trials, if any
    body.append(_leaderboard_html(boards, len(sections) + 1))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>disentbench report</title><style>{_STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
