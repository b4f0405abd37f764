"""The HTML report: every analysis, its tables and figures, the Findings and the leaderboard.

``write_report(df, out_dir)`` runs the analyses of this package on a results table, writes their
figures as PNG files in ``out_dir`` and one self-contained ``report.html`` beside them (each PNG
is also embedded as a base64 data URI, so the HTML file works alone). Everything is derived from
the table (docs/architecture.md, "Results table"), so the report can be regenerated at any time.
"""

from __future__ import annotations

import base64
import datetime as _dt
import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from html import escape
from pathlib import Path

import pandas as pd

from disentbench import __version__
from disentbench.errors import UserError
from disentbench.io import atomic_path
from disentbench.reports import (
    agreement,
    downstream,
    drivers,
    findings,
    leaderboard,
    mean_vs_sampled,
    transfer,
    traversals,
    unsupervised_selection,
)
from disentbench.reports import columns as C
from disentbench.reports.plotting import readable
from disentbench.reports.section import Section

log = logging.getLogger(__name__)

#: The analyses in report order: (module, extra keyword arguments of ``analyse``).
ANALYSES = (agreement, mean_vs_sampled, drivers, unsupervised_selection, transfer, downstream)

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
.verdict-too,.verdict-notc{color:#666;font-weight:bold}
img{max-width:100%;border:1px solid #eee;margin:.3em 0}.note{color:#555}nav a{margin-right:1em}
"""


def run_analyses(df: pd.DataFrame, draws: int = 10_000) -> dict[str, Section]:
    """Run every analysis on ``df``; an analysis that fails on odd input reports that in its notes."""
    sections: dict[str, Section] = {}
    for module in ANALYSES:
        start = time.perf_counter()
        try:
            section = module.analyse(df, draws=draws) if module is transfer else module.analyse(df)
        except (KeyError, ValueError, TypeError) as exc:  # a malformed table must not sink the report
            log.exception("analysis %s failed", module.__name__)
            section = Section(key=module.__name__.rsplit(".", 1)[-1], title=module.TITLE, description="")
            section.note(f"This analysis failed on this table: {type(exc).__name__}: {exc}")
        log.info("%s: %.1f s", section.key, time.perf_counter() - start)
        sections[section.key] = section
    return sections


def _plot_one(key: str, section: Section, out_dir: Path) -> tuple[list[Path], list[str]]:
    """Draw one section's figures; returns the files and any new notes (runs in a worker too)."""
    module = {m.__name__.rsplit(".", 1)[-1]: m for m in ANALYSES}[key]
    before = len(section.notes)
    start = time.perf_counter()
    try:
        written = module.plot(section, out_dir)
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        log.exception("figures of %s failed", key)
        written = []
        section.note(f"Its figures could not be drawn: {type(exc).__name__}: {exc}")
    log.info("%s figures: %.1f s", key, time.perf_counter() - start)
    return written, section.notes[before:]


def draw_figures(sections: dict[str, Section], out_dir: Path, jobs: int = 1) -> list[Path]:
    """Draw every section's figures into ``out_dir``, in ``jobs`` worker processes when > 1.

    Figure drawing (text layout in particular) dominates the report's run time and the sections
    are independent, so two processes on two cores nearly halve it. Workers are spawned, not
    forked, so no thread state of the parent is copied.
    """
    order = sorted(sections, key=lambda k: -_PLOT_COST.get(k, 0))
    results: dict[str, tuple[list[Path], list[str]]] = {}
    if jobs > 1 and len(order) > 1:
        context = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(max_workers=min(jobs, len(order)), mp_context=context) as pool:
                futures = {key: pool.submit(_plot_one, key, sections[key], out_dir) for key in order}
                results = {key: future.result() for key, future in futures.items()}
        except BrokenProcessPool:  # e.g. a __main__ that cannot be re-imported (stdin, some notebooks)
            log.warning("worker processes failed to start; drawing the figures in this process")
            results = {}
    for key in order:
        if key not in results:
            results[key] = _plot_one(key, sections[key], out_dir)
    written = []
    for key in sections:  # report order
        files, notes = results[key]
        sections[key].figures = list(files)
        sections[key].notes.extend(n for n in notes if n not in sections[key].notes)
        written += files
    return written


#: Rough relative drawing cost per section, to start the slowest first when drawing in parallel.
_PLOT_COST = {
    "drivers": 5,
    "agreement": 4,
    "downstream": 3,
    "unsupervised_selection": 2,
    "mean_vs_sampled": 1,
}


def write_report(
    df: pd.DataFrame,
    out_dir: str | Path,
    *,
    source: str = "",
    draws: int = 10_000,
    jobs: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write ``report.html`` and the figure PNGs for results table ``df`` into ``out_dir``.

    ``draws`` is the number of Monte-Carlo draws of the transfer protocol; ``jobs`` the number
    of processes that draw the figures.

    Returns the path of the HTML file. Raises ``UserError`` on an empty table.
    """
    if df is None or len(df) == 0:
        raise UserError(f"the results table {source or ''} has no rows: nothing to report".replace("  ", " "))
    say = progress or log.info
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _remove_previous_outputs(out)
    say(f"analysing {len(df)} rows")
    sections = run_analyses(df, draws=draws)
    say("drawing figures")
    draw_figures(sections, out, jobs=jobs)
    n_models = _count_models(df)
    items = findings.findings(sections, n_models)
    boards = _leaderboards(df)
    for name, board in boards.items():
        if isinstance(board, leaderboard.Leaderboard):
            with atomic_path(out / f"leaderboard_{name}.csv") as tmp:
                tmp.write_text(leaderboard.to_csv(board), encoding="utf-8")
                readable(tmp)
    html = _page(df, sections, items, boards, source)
    path = out / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
        readable(tmp)
    say(f"wrote {path}")
    return path


#: File-name patterns of what ``write_report`` writes; earlier outputs matching them are removed
#: first, so a report regenerated into the same folder (e.g. docs/report) keeps no stale figure.
OUTPUT_PATTERNS = (
    "report.html",
    "leaderboard_*.csv",
    "agreement_*.png",
    "tc_mean_vs_sampled.png",
    "scores_by_method_*.png",
    "scores_by_strength_*.png",
    "variance_decomposition.png",
    "unsupervised_selection.png",
    "transfer.png",
    "downstream.png",
)


def _remove_previous_outputs(out: Path) -> None:
    """Delete files of an earlier report in ``out`` (only names this module writes)."""
    for pattern in OUTPUT_PATTERNS:
        for path in out.glob(pattern):
            if path.is_file():
                path.unlink()


def _leaderboards(df: pd.DataFrame) -> dict[str, leaderboard.Leaderboard | str]:
    """The two preset leaderboards, or the reason one could not be built."""
    out: dict[str, leaderboard.Leaderboard | str] = {}
    for preset in C.LEADERBOARD_PRESETS:
        try:
            out[preset] = leaderboard.build(df, preset=preset)
        except UserError as exc:
            out[preset] = str(exc)
    return out


def _count_models(df: pd.DataFrame) -> int:
    """Number of distinct completed models in the table."""
    rows = C.completed(df)
    key = C.model_key(rows)
    return len(rows.drop_duplicates(subset=key)) if key else len(rows)


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
        ("data_source", "data sources"), ("preset", "metric presets"), ("study", "studies"),
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
    return f"<table>{rows}</table>"


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
        f"<tr><td>{escape(f.claim)}</td><td class='{_verdict_class(f.verdict)}'>{escape(f.verdict)}</td>"
        f"<td>{f.n_models:,}</td><td>{escape(f.paper)}</td><td>{escape(f.result)}</td></tr>"
        for f in items
    )
    head = "<tr><th>claim</th><th>verdict</th><th>models</th><th>the paper</th><th>these results</th></tr>"
    return (
        "<p class='note'>For each claim of the paper (analyses.md §3), what this results table shows. "
        "“too few models” means the table cannot support a conclusion either way.</p>"
        f"<table class='findings'>{head}{rows}</table>"
    )


def _section_html(number: int, section: Section) -> str:
    parts = [
        f"<h2 id='{section.key}'>{number}. {escape(section.title)}</h2>",
        f"<p>{escape(section.description)}</p>",
    ]
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


def _leaderboard_html(boards: dict[str, leaderboard.Leaderboard | str]) -> str:
    parts = [f"<h2 id='leaderboard'>{len(ANALYSES) + 1}. Leaderboard</h2>"]
    for name, board in boards.items():
        parts.append(f"<h3>Preset <code>{escape(name)}</code></h3>")
        if isinstance(board, str):
            parts.append(f"<p class='note'>Not available: {escape(board)}</p>")
        else:
            parts.append(f"<details open><summary>leaderboard_{escape(name)}.csv</summary>")
            parts.append(leaderboard.to_html(board, standalone=False))
            parts.append("</details>")
    return "\n".join(parts)


def _page(
    df: pd.DataFrame,
    sections: dict[str, Section],
    items: list[findings.Finding],
    boards: dict[str, leaderboard.Leaderboard | str],
    source: str,
) -> str:
    nav = ["<a href='#overview'>Overview</a>", "<a href='#findings'>Findings</a>"]
    nav += [f"<a href='#{s.key}'>{escape(s.title)}</a>" for s in sections.values()]
    nav.append("<a href='#leaderboard'>Leaderboard</a>")
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        "<h1>disentbench report</h1>",
        f"<p class='note'>Generated {stamp} by disentbench {escape(__version__)} from "
        f"<code>{escape(source or 'a results table')}</code>. Analyses follow Locatello et al. (ICML 2019) "
        "as described in analyses.md.</p>",
        "<nav>" + "".join(nav) + "</nav>",
        "<h2 id='overview'>Overview</h2>",
        _overview(df),
        "<h2 id='findings'>Findings</h2>",
        _findings_html(items),
    ]
    body += [_section_html(i, s) for i, s in enumerate(sections.values(), start=1)]
    body.append(traversals.html_section(df, source))  # pictures saved by the trials, if any
    body.append(_leaderboard_html(boards))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>disentbench report</title><style>{_STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
