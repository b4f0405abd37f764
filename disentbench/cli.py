"""The ``disentbench`` command line.

Each sub-package owns its sub-commands in a ``cli`` module exposing ``register(subparsers)``;
this module only assembles them, sets up the terminal's output (``disentbench.console``), maps
``UserError`` to exit status 2 with a one-line message, and ends quietly when the reader of its
output goes away (``disentbench run ... --dry-run | head``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from disentbench import __version__, console
from disentbench.errors import UserError

#: Modules that add sub-commands, in the order their commands appear in ``--help``.
COMMAND_MODULES = (
    "disentbench.datasets.cli",  # data render|download|info
    "disentbench.models.cli",  # train
    "disentbench.external.cli",  # evaluate, export-encoder
    "disentbench.benchmark.cli",  # run, resume, status, export
    "disentbench.reports.cli",  # report, leaderboard
    "disentbench.results.cli",  # import-reference
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
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show everything on the terminal: debug lines, Ray's and Tune's output",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    console.configure(verbose=args.verbose)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE_STATUS
    except UserError as exc:
        print(f"disentbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("disentbench: interrupted", file=sys.stderr)
        return 130


#: Exit status when the reader of our output closed the pipe (128 + SIGPIPE, as a Unix tool).
BROKEN_PIPE_STATUS = 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
