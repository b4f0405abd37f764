"""``disentbench evaluate`` and ``disentbench export-encoder``.

``evaluate`` scores a saved disentbench model (``MODEL_DIR``) or an encoder disentbench did not
train (``--encoder``: TorchScript file, ``package.module:factory`` or ONNX file) with the study's
metrics, prints the scores and, with ``--results DIR``, writes a result record there so that
``report`` and ``leaderboard`` include the model. ``export-encoder`` writes a saved model's
encoder as a TorchScript file that ``evaluate --encoder`` (or anyone with PyTorch) can score.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from disentbench.errors import UserError
from disentbench.io import write_json_atomic

log = logging.getLogger(__name__)

UNTRUSTED = (
    "Security: loading a TorchScript or ONNX file, or importing a package.module:factory entry, "
    "runs code from it. Only evaluate encoders you trust."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``evaluate`` and ``export-encoder``."""
    p = subparsers.add_parser(
        "evaluate",
        help="score a saved model or an external encoder with the study's metrics",
        description="Score a saved disentbench model (MODEL_DIR) or an external encoder (--encoder) "
        "with the study's metrics. The encoder maps float32 (n, C, 64, 64) in [0, 1] to codes (n, d). "
        "With --results DIR the scores become a result record there (method 'external' for an "
        "encoder), so `report` and `leaderboard` place the model among a study's models. " + UNTRUSTED,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model_dir", type=Path, nargs="?", metavar="MODEL_DIR", help="a saved disentbench model")
    p.add_argument(
        "--encoder",
        metavar="PATH_OR_SPEC",
        help="a TorchScript file, an .onnx file (needs onnxruntime) or package.module:factory "
        "(runs its code)",
    )
    p.add_argument("--dataset", help="data-set name (required with --encoder; default: the model's)")
    p.add_argument("--name", metavar="LABEL", help="label of the model in tables (default: the file name)")
    p.add_argument("--results", type=Path, metavar="DIR", help="write a result record into this directory")
    p.add_argument("--study", default="external", help="study name in the record (default external)")
    p.add_argument(
        "--preset",
        default="paper",
        help="metric preset: paper (the study's sizes, default), fast, smoke (pipeline checks, not numbers)",
    )
    p.add_argument(
        "--metrics",
        default=None,
        metavar="NAME[,NAME]",
        help="only these metrics (default: the study's nine)",
    )
    p.add_argument(
        "--representation",
        choices=["mean", "sampled", "both"],
        default="mean",
        help="representation(s) to score (sampled needs a gaussian_encoder; default mean)",
    )
    p.add_argument(
        "--seeds",
        default="reference",
        help="evaluation seeds: reference (the study's, default), challenge (seed 0 for every score, "
        "as the NeurIPS 2019 challenge) or an integer master seed",
    )
    p.add_argument(
        "--sklearn-semantics", default=None, help="scikit-learn semantics (default: metrics.evaluate's)"
    )
    p.add_argument("--batch-size", type=int, default=64, help="observations per encoder call (default 64)")
    p.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS", help="fail an encoder call slower than this"
    )
    p.add_argument("--data-root", type=Path, default=None)
    p.add_argument("--render-if-missing", action="store_true", help="render the offline data stand-in")
    p.add_argument("--device", default="cpu", help="device of a MODEL_DIR model (default cpu)")
    p.add_argument("--out", type=Path, default=None, help="also write the scores to this JSON file")
    p.set_defaults(handler=_evaluate)

    p = subparsers.add_parser(
        "export-encoder",
        help="write a saved model's encoder as a TorchScript file",
        description="Write MODEL_DIR's encoder as TorchScript: forward(x) = mean representation, "
        "gaussian_encoder(x) = (mean, logvar); x float32 (n, C, 64, 64) in [0, 1].",
    )
    p.add_argument("model_dir", type=Path, metavar="MODEL_DIR")
    p.add_argument("out", type=Path, metavar="OUT", help="output file, e.g. model.pt")
    p.set_defaults(handler=_export)


def _evaluate(args: argparse.Namespace) -> int:
    from disentbench.external import scoring

    if (args.model_dir is None) == (args.encoder is None):
        raise UserError("evaluate: give either MODEL_DIR or --encoder PATH_OR_SPEC (exactly one)")
    if args.batch_size < 1:
        raise UserError(f"--batch-size: expected an integer ≥ 1, got {args.batch_size}")
    if args.timeout is not None and not args.timeout > 0:
        raise UserError(f"--timeout: expected a positive number of seconds, got {args.timeout}")
    seeds_policy: str | int = args.seeds
    if args.seeds not in scoring.SEED_POLICIES:
        try:
            seeds_policy = int(args.seeds)
        except ValueError:
            raise UserError(
                f"--seeds: expected reference, challenge or an integer, got {args.seeds!r}"
            ) from None
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    representations = ["mean", "sampled"] if args.representation == "both" else [args.representation]
    seeds = scoring.metric_seeds(seeds_policy, metrics)
    started = time.perf_counter()
    if args.encoder is not None:
        record, scores = _evaluate_encoder(args, metrics, representations, seeds)
    else:
        record, scores = _evaluate_model(args, metrics, representations, seeds)
    record["timings"]["wall_seconds"] = time.perf_counter() - started
    shown: Any = scores[representations[0]] if len(representations) == 1 else scores
    if args.out:
        write_json_atomic(args.out, shown)
    if args.results:
        from disentbench.results.records import write_record

        path = write_record(args.results, record)
        print(f"wrote {path}", file=sys.stderr)
    json.dump(shown, sys.stdout, indent=2, sort_keys=True, default=str)
    print()
    return 0


def _load_data(name: str, root: Path | None, render_if_missing: bool) -> Any:
    from disentbench import datasets

    if render_if_missing:
        return datasets.prepare(name, root, render_if_missing=True)
    return datasets.get(name, root=root)


def _progress(message: str) -> None:
    print(f"disentbench evaluate: {message}", file=sys.stderr)


def _evaluate_encoder(
    args: argparse.Namespace, metrics: list[str] | None, representations: list[str], seeds: Any
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    import numpy as np

    from disentbench.external import scoring
    from disentbench.external.encoders import CheckedEncoder, load_encoder, probe

    if not args.dataset:
        raise UserError("--dataset: required with --encoder (the data set to score the encoder on)")
    data = _load_data(args.dataset, args.data_root, args.render_if_missing)
    loaded = load_encoder(args.encoder)
    label = args.name or (Path(args.encoder).stem if loaded.kind != "python" else args.encoder)
    scoring.slug(label)  # a bad label fails before any work
    checked = {
        rep: CheckedEncoder(
            loaded, batch_size=args.batch_size, timeout=args.timeout, gaussian=rep == "sampled"
        )
        for rep in representations
    }
    # One call on a few observations first (an odd count, so a fixed batch size shows at once).
    sample = data.sample_observations(3, np.random.RandomState(0))
    for rep, encoder in checked.items():
        dimension = probe(encoder, sample)
        _progress(f"{loaded.kind} encoder {loaded.source}: {rep} representation of dimension {dimension}")
    t0 = time.perf_counter()
    scores: dict[str, dict[str, Any]] = {}
    for rep, encoder in checked.items():
        scores.update(
            scoring.score_representations(
                data,
                lambda kind, encoder=encoder: encoder.representation_function(
                    kind, scoring.postprocess_seed(kind)
                ),
                representations=[rep],
                preset=args.preset,
                metrics=metrics,
                seeds=seeds,
                sklearn_semantics=args.sklearn_semantics,
                encoder=encoder,
                progress=_progress,
            )
        )
    record = scoring.external_record(
        label=label,
        dataset=args.dataset,
        encoder=checked[representations[0]],
        scores=scores,
        data_provenance=getattr(data, "provenance", {}),
        preset=args.preset,
        metrics=metrics,
        seeds=seeds,
        sklearn_semantics=args.sklearn_semantics or scores[representations[0]].get("meta.sklearn_semantics"),
        study=args.study,
        timings={"eval_seconds": time.perf_counter() - t0},
    )
    return record, scores


def _evaluate_model(
    args: argparse.Namespace, metrics: list[str] | None, representations: list[str], seeds: Any
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    from disentbench.external import scoring
    from disentbench.models.trained import TrainedModel

    model = TrainedModel.load(args.model_dir, device=args.device)
    if args.dataset and args.dataset != model.config.dataset:
        log.warning("scoring a model trained on %s on %s", model.config.dataset, args.dataset)
    dataset = args.dataset or model.config.dataset
    data = _load_data(dataset, args.data_root, args.render_if_missing)
    t0 = time.perf_counter()
    scores = scoring.score_representations(
        data,
        lambda kind: model.representation_function(kind, seed=scoring.postprocess_seed(kind)),
        representations=representations,
        preset=args.preset,
        metrics=metrics,
        seeds=seeds,
        sklearn_semantics=args.sklearn_semantics,
        progress=_progress,
    )
    for rep, values in scores.items():
        values["meta.representation"] = rep
        if not args.results and not args.out:
            write_json_atomic(args.model_dir / f"scores_{rep}.json", values)
    record = scoring.model_record(
        model=model,
        label=args.name,
        scores=scores,
        data_provenance=getattr(data, "provenance", {}),
        preset=args.preset,
        metrics=metrics,
        seeds=seeds,
        sklearn_semantics=args.sklearn_semantics or scores[representations[0]].get("meta.sklearn_semantics"),
        study=args.study,
        timings={"eval_seconds": time.perf_counter() - t0},
    )
    return record, scores


def _export(args: argparse.Namespace) -> int:
    from disentbench.external.export import export_encoder

    metadata = export_encoder(args.model_dir, args.out)
    print(
        f"wrote {args.out} (TorchScript: forward = mean representation of dimension "
        f"{metadata['num_latents']}, gaussian_encoder = (mean, logvar); input float32 "
        f"(n, {metadata['num_channels']}, 64, 64) in [0, 1])"
    )
    return 0
