"""Sub-command ``inspect``: the pictures, latent statistics, feature axes and controllability of a model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from disentbench.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``inspect``."""
    from disentbench.inspection.axes import CODE_SOURCES
    from disentbench.inspection.classifier import DEFAULT_STEPS
    from disentbench.inspection.controllability import DEFAULT_DISTANCE, DEFAULT_NUM_CODES

    p = subparsers.add_parser(
        "inspect",
        help="pictures of a trained model: reconstructions, traversals, factor-axis edits, controllability",
        description="Write reconstructions, latent traversals (PNG per dimension and a GIF, sorted by "
        "per-dimension KL), prior samples, feature-axis edits and inspection.json (per-dimension KL, "
        "code statistics, axes, controllability) for a model saved by `disentbench train`. Trains "
        "the data set's factor classifier on first use (cached per data source).",
    )
    p.add_argument("model_dir", metavar="MODEL_DIR", help="a saved model directory")
    p.add_argument("--out", metavar="DIR", help="output folder (default MODEL_DIR/inspection)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument(
        "--data-root", metavar="DIR", help="data root (default $DISENTBENCH_DATA or the user cache)"
    )
    p.add_argument("--dataset", help="data set to inspect on (default: the model's; must be the model's)")
    p.add_argument(
        "--lock",
        metavar="F1,F2",
        help="factors the decorrelated axes are made orthogonal to (default: every factor)",
    )
    p.add_argument(
        "--codes",
        choices=CODE_SOURCES,
        default="prior",
        help="codes the axes are fitted on: decoded prior samples labelled by the classifier "
        "(default) or encoded observations labelled with their factors",
    )
    p.add_argument("--num-codes", type=int, default=5000, help="codes the axes are fitted on (default 5000)")
    p.add_argument(
        "--controllability-codes",
        type=int,
        default=DEFAULT_NUM_CODES,
        help=f"codes moved per factor for controllability (default {DEFAULT_NUM_CODES})",
    )
    p.add_argument(
        "--distance",
        type=float,
        default=DEFAULT_DISTANCE,
        help=f"distance moved along an axis, in prior standard deviations (default {DEFAULT_DISTANCE:g})",
    )
    p.add_argument(
        "--classifier-steps",
        type=int,
        default=DEFAULT_STEPS,
        help=f"training steps of the factor classifier if it is not cached yet (default {DEFAULT_STEPS})",
    )
    p.add_argument("--no-axes", action="store_true", help="pictures and statistics only (no classifier)")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.set_defaults(handler=_inspect)


def _inspect(args: argparse.Namespace) -> int:
    import torch

    from disentbench import datasets
    from disentbench.inspection.classifier import get_classifier
    from disentbench.inspection.inspect_model import check_dataset, inspect_model
    from disentbench.models import TrainedModel

    for name in ("num_codes", "controllability_codes", "classifier_steps"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')}: expected a positive integer")
    if not args.distance > 0:
        raise UserError("--distance: expected a positive number")
    if args.threads:
        torch.set_num_threads(args.threads)
    model_dir = Path(args.model_dir)
    if not model_dir.is_dir():
        raise UserError(f"{model_dir}: no such model directory")
    model = TrainedModel.load(model_dir)
    data = datasets.get(args.dataset or model.config.dataset, root=args.data_root)
    check_dataset(model, data)
    lock = [s.strip() for s in args.lock.split(",") if s.strip()] if args.lock else None
    if lock is not None:
        unknown = [name for name in lock if name not in data.factor_names]
        if unknown:
            raise UserError(
                f"--lock: unknown factor {unknown[0]!r}; {data.name} has {', '.join(data.factor_names)}"
            )
    classifier = None
    if not args.no_axes:
        classifier = get_classifier(data, data_root=args.data_root, steps=args.classifier_steps)
    out = Path(args.out) if args.out else model_dir / "inspection"
    summary = inspect_model(
        model,
        data,
        out,
        seed=args.seed,
        classifier=classifier,
        lock=lock,
        codes=args.codes,
        num_codes=args.num_codes,
        controllability_codes=args.controllability_codes,
        distance=args.distance,
        extra={"model_dir": str(model_dir)},
    )
    score = summary.get("controllability", {}).get("controllability.score")
    print(out, file=sys.stdout)
    if score is not None:
        print(f"controllability.score = {score:.3f}", file=sys.stderr)
    return 0
