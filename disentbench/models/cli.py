"""``disentbench train`` and ``disentbench evaluate`` (issue 4).

``train`` trains one model and saves it (models.md §2.11–2.12); ``evaluate`` scores a saved model
with the metrics of the study (``disentbench.metrics.evaluate``). The list of methods and their
parameters in ``train --help`` comes from the one registry, ``disentbench.models.METHODS``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from disentbench.errors import UserError
from disentbench.io import write_json_atomic
from disentbench.models.config import PRECISIONS
from disentbench.models.methods import METHODS, describe_methods

log = logging.getLogger(__name__)

#: Seed of the ``sampled`` representation's noise: the post-process seed the reference draws for
#: ``sampled`` from RandomState(0) (study.md §3.2), so every model sees the same noise stream.
SAMPLED_REPRESENTATION_SEED = 2546248239


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train`` and ``evaluate``."""
    train = subparsers.add_parser(
        "train",
        help="train one model (β-VAE, FactorVAE, DIP-VAE-I/II, β-TCVAE, AnnealedVAE)",
        description="Train one model of the study and save it to --out.",
        epilog="methods (study order) and their parameters, default first grid value:\n" + describe_methods(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--dataset", required=True, help="data-set name, e.g. dsprites_full")
    train.add_argument("--method", required=True, choices=list(METHODS), metavar="NAME", help="see below")
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a method parameter, e.g. beta=4 (repeatable)",
    )
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--steps", type=int, default=300_000, help="training steps (default 300000)")
    train.add_argument("--out", type=Path, required=True, help="directory to save the model to")
    train.add_argument("--data-root", type=Path, default=None, help="data root (default: the data root)")
    train.add_argument(
        "--render-if-missing", action="store_true", help="render the offline data stand-in if no file"
    )
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    train.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    train.add_argument("--eval-batches", type=int, default=1000, help="batches for the unsupervised scores")
    train.add_argument("--log-every", type=int, default=1000)
    train.add_argument("--checkpoint-every", type=int, default=10_000)
    train.add_argument(
        "--checkpoint-dir", type=Path, default=None, help="resumable checkpoints (default: OUT/checkpoint)"
    )
    train.add_argument(
        "--no-factor-vae-reference-steps",
        dest="factor_vae_reference_steps",
        action="store_false",
        help="train FactorVAE for --steps iterations instead of the reference's ⌈(steps+1)/2⌉",
    )
    train.add_argument("--data-stream", choices=["batched", "per_observation"], default="batched")
    train.add_argument(
        "--precision",
        choices=list(PRECISIONS),
        default="fp32",
        help="fp32 (default, the reference's: no TF32), tf32 or bf16 (autocast); recorded with the model",
    )
    train.set_defaults(handler=_train)

    evaluate = subparsers.add_parser("evaluate", help="score a saved model with the study's metrics")
    evaluate.add_argument("model_dir", type=Path, metavar="MODEL_DIR")
    evaluate.add_argument("--preset", choices=["paper", "fast"], default="paper")
    evaluate.add_argument("--representation", choices=["mean", "sampled"], default="mean")
    evaluate.add_argument(
        "--metrics",
        default=None,
        metavar="NAME[,NAME]",
        help="only these metrics (default: the study's nine)",
    )
    evaluate.add_argument("--data-root", type=Path, default=None)
    evaluate.add_argument("--device", default="cpu")
    evaluate.add_argument(
        "--out", type=Path, default=None, help="JSON file (default: MODEL_DIR/scores_<representation>.json)"
    )
    evaluate.set_defaults(handler=_evaluate)


def parse_params(items: list[str]) -> dict[str, float]:
    """``["beta=4", "gamma=1e3"]`` → ``{"beta": 4.0, "gamma": 1000.0}``; bad items raise ``UserError``.

    Integer parameters (``iteration_threshold``) are converted by the method registry.
    """
    params: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--param: expected KEY=VALUE, got {item!r}")
        try:
            number = float(value)
        except ValueError:
            raise UserError(f"--param {key}: expected a number, got {value!r}") from None
        params[key.strip()] = number
    return params


def _load_data(name: str, root: Path | None, render_if_missing: bool = False) -> Any:
    from disentbench import datasets

    if render_if_missing:
        return datasets.prepare(name, root, render_if_missing=True)
    return datasets.get(name, root=root)


def _train(args: argparse.Namespace) -> int:
    from disentbench.models.config import TrainConfig
    from disentbench.models.trainer import train

    config = TrainConfig(
        dataset=args.dataset,
        method=args.method,
        params=parse_params(args.param),
        seed=args.seed,
        steps=args.steps,
        batch_size=args.batch_size,
        log_every=args.log_every,
        checkpoint_every=args.checkpoint_every,
        eval_batches=args.eval_batches,
        device=args.device,
        num_threads=args.threads,
        factor_vae_reference_steps=args.factor_vae_reference_steps,
        data_stream=args.data_stream,
        precision=args.precision,
    ).validate()
    data = _load_data(config.dataset, args.data_root, args.render_if_missing)
    checkpoint_dir = args.checkpoint_dir or args.out / "checkpoint"
    log.info(
        "training %s %s on %s for %d iterations (seed %d)",
        config.method,
        config.resolved_params,
        config.dataset,
        config.num_iterations,
        config.seed,
    )
    model = train(config, data, checkpoint_dir=checkpoint_dir)
    model.training_stats["data"] = getattr(data, "provenance", {})
    model.save(args.out)
    json.dump(model.training_stats, sys.stdout, indent=2, sort_keys=True, default=str)
    print()
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from disentbench.models.trained import TrainedModel

    try:
        from disentbench.metrics import evaluate
    except ImportError as exc:
        raise UserError(f"the metrics are not available in this installation ({exc})") from None

    model = TrainedModel.load(args.model_dir, device=args.device)
    data = _load_data(model.config.dataset, args.data_root)
    rep = model.representation_function(args.representation, seed=SAMPLED_REPRESENTATION_SEED)
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    scores = dict(
        evaluate(data, rep, preset=args.preset, metrics=metrics, representation=args.representation)
    )
    scores["meta.representation"] = args.representation
    out = args.out or args.model_dir / f"scores_{args.representation}.json"
    write_json_atomic(out, scores)
    json.dump(scores, sys.stdout, indent=2, sort_keys=True, default=str)
    print()
    return 0
