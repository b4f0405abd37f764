"""The report pipeline: analyses, figures, findings and CSVs of a results table.

``write_report(df, out_dir)`` runs the analyses of this package on a results table, draws their
figures as PNG files in ``out_dir`` (in worker processes when asked), states the findings, writes
the leaderboards and the sections' ``csv_files`` as CSV, and hands all of it to
``reports.html.page``, which lays out the one self-contained ``report.html`` written beside them.
Everything is derived from the table (docs/architecture.md, "Results table"), so the report can be
regenerated at any time.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd

from disentbench.errors import UserError
from disentbench.io import atomic_path
from disentbench.reports import (
    agreement,
    downstream,
    drivers,
    findings,
    html,
    leaderboard,
    mean_vs_sampled,
    placement,
    transfer,
    unsupervised_selection,
    weak_vs_unsupervised,
)
from disentbench.reports import columns as C
from disentbench.reports.section import Section

log = logging.getLogger(__name__)

#: The analyses in report order: (module, extra keyword arguments of ``analyse``).
ANALYSES = (
    agreement,
    mean_vs_sampled,
    drivers,
    unsupervised_selection,
    transfer,
    downstream,
    weak_vs_unsupervised,
    placement,
)


def run_analyses(df: pd.DataFrame, draws: int = 10_000) -> dict[str, Section]:
    """Run every analysis on ``df``; an analysis that fails on odd input reports that in its notes.

    Each (data set, data source, scikit-learn semantics) is analysed as a data set of its own
    (``columns.with_cohorts``), so no analysis pools rows of different sources or semantics.
    """
    df = C.with_cohorts(df)
    sections: dict[str, Section] = {}
    # The paper's analyses describe the study's unsupervised models; external models are only
    # placed among them, and weakly-supervised ones only compared with them in their own section.
    study = placement.study_rows(df)
    paper = paper_rows(df)
    for module in ANALYSES:
        if module is placement and not placement.external_labels(df):
            continue
        if module is weak_vs_unsupervised and not weak_vs_unsupervised.applies(study):
            continue
        rows = df if module is placement else study if module is weak_vs_unsupervised else paper
        start = time.perf_counter()
        try:
            section = module.analyse(rows, draws=draws) if module is transfer else module.analyse(rows)
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
    "weak_vs_unsupervised": 1,
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
    boards = leaderboards(df)  # the leaderboard keeps data set, source and semantics as columns
    df = C.with_cohorts(df)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_previous_outputs(out)
    say(f"analysing {len(df)} rows")
    sections = run_analyses(df, draws=draws)
    say("drawing figures")
    draw_figures(sections, out, jobs=jobs)
    # The findings are the 2019 study's claims: counted over the models its analyses saw.
    n_models = count_models(paper_rows(df))
    items = findings.findings(sections, n_models, C.datasets(C.completed(df)))
    for section in sections.values():
        for name, table in section.csv_files.items():
            with atomic_path(out / name) as tmp:
                table.to_csv(tmp, index=False)
    for name, board in boards.items():
        if isinstance(board, leaderboard.Leaderboard):
            with atomic_path(out / f"leaderboard_{name}.csv") as tmp:
                tmp.write_text(leaderboard.to_csv(board), encoding="utf-8")
    path = out / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text(html.page(df, sections, items, boards, source), encoding="utf-8")
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
    "weak_vs_unsupervised*.png",
    "weak_vs_unsupervised.csv",
)


def remove_previous_outputs(out: Path) -> None:
    """Delete files of an earlier report in ``out`` (only names this module writes)."""
    for pattern in OUTPUT_PATTERNS:
        for path in out.glob(pattern):
            if path.is_file():
                path.unlink()


def leaderboards(df: pd.DataFrame) -> dict[str, leaderboard.Leaderboard | str]:
    """The two preset leaderboards, or the reason one could not be built."""
    out: dict[str, leaderboard.Leaderboard | str] = {}
    for preset in C.LEADERBOARD_PRESETS:
        try:
            out[preset] = leaderboard.build(df, preset=preset)
        except UserError as exc:
            out[preset] = str(exc)
    return out


def paper_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows the 2019 study's analyses describe: neither external nor weakly-supervised models."""
    return weak_vs_unsupervised.without_weak(placement.study_rows(df))


def count_models(df: pd.DataFrame) -> int:
    """Number of distinct completed models in the table."""
    rows = C.completed(df)
    key = C.model_key(rows)
    return len(rows.drop_duplicates(subset=key)) if key else len(rows)
