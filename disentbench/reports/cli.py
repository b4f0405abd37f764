"""Sub-commands ``report`` and ``leaderboard`` (README.md).

``RESULTS`` is a results directory (``RESULTS/records/*.json``, read with
``disentbench.results.load``) or a results table exported as ``.csv`` or ``.parquet``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from disentbench.errors import DataFileError, UserError
from disentbench.io import atomic_path


def load_table(source: str | os.PathLike[str]) -> pd.DataFrame:
    """The results table of a results directory, or of an exported ``.csv``/``.parquet`` file."""
    path = Path(source)
    if path.is_dir():
        from disentbench.results import load

        return load(path)
    if not path.exists():
        raise UserError(f"{path}: no such results directory or table file")
    try:
        if path.suffix == ".csv":
            return pd.read_csv(path)
        if path.suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path}: cannot read the results table ({exc})") from exc
    raise UserError(f"{path}: expected a results directory or a .csv/.parquet results table")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``report`` and ``leaderboard``."""
    p = subparsers.add_parser(
        "report",
        help="write the HTML report (all analyses, figures, findings, leaderboard)",
        description="Run the paper's analyses on a results table and write one self-contained "
        "report.html plus the figure PNGs and leaderboard CSVs.",
    )
    p.add_argument("results", metavar="RESULTS", help="results directory or exported .csv/.parquet table")
    p.add_argument(
        "--out", metavar="DIR", help="output folder (default: RESULTS/report, or beside a table file)"
    )
    p.add_argument(
        "--draws", type=int, default=10_000, help="Monte-Carlo draws per transfer cell (default 10000)"
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes drawing figures (default 1; 2 can help on an idle multi-core machine, but "
        "starting workers costs seconds and did not pay off on a loaded one)",
    )
    p.set_defaults(handler=_report)

    p = subparsers.add_parser(
        "leaderboard",
        help="rank settings by mean per-score rank",
        description="Per (data set, method, strength): median and IQR over seeds of each score, "
        "per-score ranks and the mean-rank ranking (ties get average ranks).",
    )
    p.add_argument("results", metavar="RESULTS", help="results directory or exported .csv/.parquet table")
    p.add_argument("--preset", default="paper", help="score set: paper (six scores) or neurips2019 (five)")
    p.add_argument(
        "--scores", help="comma-separated score columns instead of a preset, e.g. mig.discrete_mig,irs.IRS"
    )
    p.add_argument("--format", choices=("md", "csv", "html"), default="md", help="output format (default md)")
    p.add_argument("--representation", choices=("mean", "sampled"), default="mean")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument(
        "--highlight",
        metavar="LABEL",
        help="mark the rows of this model (its evaluate --name label, or a method) and show its "
        "percentile and rank among the study's models per score",
    )
    p.set_defaults(handler=_leaderboard)


def _report(args: argparse.Namespace) -> int:
    from disentbench.reports.pipeline import write_report

    if args.draws < 1 or args.jobs < 1:
        raise UserError("--draws and --jobs must be positive")
    source = Path(args.results)
    if args.out:
        out = Path(args.out)
    else:
        out = source / "report" if source.is_dir() else source.parent / f"{source.stem}_report"
    table = load_table(source)
    path = write_report(
        table,
        out,
        source=str(source),
        draws=args.draws,
        jobs=args.jobs,
        progress=lambda m: print(m, file=sys.stderr),
    )
    print(path)
    return 0


def _leaderboard(args: argparse.Namespace) -> int:
    from disentbench.reports import leaderboard

    scores = [s.strip() for s in args.scores.split(",") if s.strip()] if args.scores else None
    table = load_table(args.results)
    board = leaderboard.build(
        table,
        preset=args.preset,
        scores=scores,
        representation=args.representation,
        highlight=args.highlight,
    )
    text = leaderboard.render(board, args.format)
    if args.highlight is not None:
        from disentbench.reports.placement import render_placement

        text += render_placement(table, args.highlight, board.scores, args.representation, args.format)
    if board.missing:
        print("disentbench: not in the table, left out: " + ", ".join(board.missing), file=sys.stderr)
    if args.out:
        with atomic_path(args.out) as tmp:
            tmp.write_text(text, encoding="utf-8")
        print(args.out)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
