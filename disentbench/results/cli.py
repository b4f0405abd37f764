"""Sub-command ``import-reference``: the reference's aggregated results as result records (README.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``import-reference``."""
    p = subparsers.add_parser(
        "import-reference",
        help="import disentanglement_lib's aggregated results JSON as result records",
        description="Read the JSON written by the reference's dlib_aggregate_results and write one "
        "result record per model into a results directory, so report and leaderboard run on it.",
    )
    p.add_argument("file", metavar="FILE", help="aggregated results JSON of disentanglement_lib")
    p.add_argument("--results", required=True, metavar="DIR", help="results directory to write records into")
    p.add_argument(
        "--study", default="reference", help="study name recorded in the records (default reference)"
    )
    p.set_defaults(handler=_import_reference)


def _import_reference(args: argparse.Namespace) -> int:
    from disentbench.results.reference_import import import_reference

    summary = import_reference(args.file, args.results, study=args.study)
    skipped = sum(summary.skipped.values())
    print(
        f"imported {summary.evaluations - skipped} of {summary.evaluations} evaluations as "
        f"{len(summary.records)} records into {Path(args.results) / 'records'}"
    )
    return 0
