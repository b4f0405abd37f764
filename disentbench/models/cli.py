"""``disentbench train`` (docs/architecture.md).

``train`` trains one model and saves it (docs/reference/models.md §2.11–2.12). The list of methods and their
parameters in ``train --help`` comes from the one registry, ``disentbench.models.METHODS``, plus
the installed method plugins (``disentbench.models.plugins``). Scoring a saved model
(``evaluate``) lives in ``disentbench.external.cli``, above both models and metrics.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from disentbench.errors import UserError
from disentbench.models.config import PRECISIONS
from disentbench.models.matmul_conv import CONVOLUTIONS
from disentbench.models.methods import describe_methods, describe_plugins

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train``."""
    train = subparsers.add_parser(
        "train",
        help="train one model (β-VAE, FactorVAE, DIP-VAE-I/II, β-TCVAE, AnnealedVAE; weakly-supervised "
        "GVAE, ML-VAE, Ada-GVAE, Ada-ML-VAE)",
        description="Train one model and save it to --out "
        "(default models/<dataset>.<method>.<params>.s<seed>). "
        "The weakly-supervised methods train on pairs of images that share all but k factors "
        "(--param k=1, the default, or k=-1 for a random number per pair).",
        epilog="methods (study order) and their parameters, default first grid value:\n"
        + describe_methods()
        + "\n"
        + describe_plugins(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--dataset", required=True, help="data-set name, e.g. dsprites_full")
    train.add_argument(
        "--method", required=True, metavar="NAME", help="a method below, or a plugin package.module:attribute"
    )
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a method parameter, e.g. beta=4 (repeatable)",
    )
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--steps", type=int, default=300_000, help="training steps (default 300000)")
    train.add_argument(
        "--out",
        type=Path,
        default=None,
        help="directory to save the model to (default models/<dataset>.<method>.<params>.s<seed>)",
    )
    train.add_argument("--data-root", type=Path, default=None, help="data root (default: the data root)")
    train.add_argument(
        "--render-if-missing", action="store_true", help="render the offline data stand-in if no file"
    )
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    train.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    train.add_argument("--eval-batches", type=int, default=1000, help="batches for the unsupervised scores")
    train.add_argument(
        "--log-every",
        type=int,
        default=None,
        help="iterations per progress line (default: steps/10, ≤ 1000)",
    )
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
    train.add_argument(
        "--convolutions",
        choices=list(CONVOLUTIONS),
        default="native",
        help="native (default) or matmul: the same convolutions as matrix products (for packs on a GPU)",
    )
    train.add_argument(
        "--torch-compile",
        action="store_true",
        help="compile the forward pass and its gradient with torch.compile (fused kernels; speed only)",
    )
    train.set_defaults(handler=_train)


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
        log_every=args.log_every if args.log_every is not None else min(1000, max(1, args.steps // 10)),
        checkpoint_every=args.checkpoint_every,
        eval_batches=args.eval_batches,
        device=args.device,
        num_threads=args.threads,
        factor_vae_reference_steps=args.factor_vae_reference_steps,
        data_stream=args.data_stream,
        precision=args.precision,
        convolutions=args.convolutions,
        torch_compile=args.torch_compile,
    ).validate()
    out = args.out if args.out is not None else default_model_dir(config)
    data = _load_data(config.dataset, args.data_root, args.render_if_missing)
    checkpoint_dir = args.checkpoint_dir or out / "checkpoint"
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
    model.save(out)
    json.dump(model.training_stats, sys.stdout, indent=2, sort_keys=True, default=str)
    print()
    log.info("model saved to %s (score it with: disentbench evaluate %s)", out, out)
    return 0


def default_model_dir(config: Any) -> Path:
    """``models/<dataset>.<method>.<param><value>….s<seed>`` (parameters in name order)."""
    from disentbench.results.ids import check_id, param_suffix

    params = param_suffix(config.resolved_params, sorted(config.resolved_params))
    method = config.method.replace(":", "-")  # a plugin reference package.module:attribute
    return Path("models") / check_id(f"{config.dataset}.{method}{params}.s{config.seed}", "--out")
