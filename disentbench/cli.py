"""The ``disentbench`` command line.

Each sub-package owns its sub-commands in a ``cli`` module exposing ``register(subparsers)``;
this module only assembles them and maps ``UserError`` to exit status 2 with a one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from disentbench import __version__
from disentbench.errors import UserError

#: Modules that add sub-commands, in the order their commands appear in ``--help``.
COMMAND_MODULES = (
    "disentbench.datasets.cli",  # data render|download|info
    "disentbench.models.cli",  # train, evaluate
    "disentbench.benchmark.cli",  # run, resume, status, export
    "disentbench.reports.cli",  # report, leaderboard, import-reference
    "disentbench.inspection.cli",  # inspect
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="disentbench",
        description="Train, evaluate and analyse disentangled representations "
        "(Locatello et al., ICML 2019) on Ray.",
    )
    parser.add_argument("--version", action="version", version=f"disentbench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a sub-package without commands yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"disentbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("disentbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
