"""Packed training throughput (K models as one computation) and the full study's projected cost.

Part 1, the K sweep: aggregate training images/s of ``disentbench.models.train_pack`` for
K = 1, 2, 4, ... per method and precision, at batch 64 on a reduced dSprites rendered into a
temporary directory (pixels resident on the device, as the study trains). Each measurement is the
median iteration time over the timed iterations (robust to a shared machine's load bursts; on
CUDA the total over the timed iterations, since iterations overlap with the host there). The
K values are measured in interleaved rounds (1, 2, 4, …, then again), best round kept, so slow
phases of a shared machine hit every K alike. "vs solo" is the pack's aggregate rate divided by
the K = 1 rate: packing K models against training them one after the other.

Part 2, evaluation: the encoder's images/s on the device at a large batch, and — unless
``--eval-presets none`` — the wall time of ``disentbench.metrics.evaluate`` for one trained
model (reduced dSprites) at each preset, with the number of images it encodes counted.

Part 3, the projection for the 12,600-model study (7 data sets × 6 methods × 6 strengths × 50
seeds; 300,000 steps of 64, FactorVAE 150,001 iterations; two representations): device-hours =
training at each method's best K + the encoder passes of evaluation; the CPU-side scoring runs
in parallel on the node's CPUs and is reported as core-hours and as the cores needed to keep up.
Evaluation seconds not measured in this run are taken from docs/metrics_performance.md and
marked so.

    python benchmarks/bench_pack.py --quick                    # ≤ 2 min on a CPU: beta_vae, K 1/2/4
    python benchmarks/bench_pack.py --methods all --ks 1,2,4,8 --eval-presets fast
    python benchmarks/bench_pack.py --device cuda --methods all --ks 1,4,16,32,64,128 \\
        --precisions fp32,tf32,bf16 --steps 60 --eval-presets paper,fast --json gpu.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from disentbench.datasets.base import GroundTruthData
from disentbench.models import METHODS, TrainConfig, train_pack
from disentbench.models.matmul_conv import CONVOLUTIONS
from disentbench.models.methods import UNSUPERVISED_METHODS

STUDY_MODELS = 12_600
STUDY_MODELS_PER_METHOD = STUDY_MODELS // len(UNSUPERVISED_METHODS)
STUDY_STEPS = 300_000
BATCH = 64
REPRESENTATIONS = 2
#: CPU scoring seconds of one representation at each preset, from docs/metrics_performance.md
#: (2 cores, n_jobs=2): used when this run does not measure them.
DOCUMENTED_SCORING_SECONDS = {"paper": 68.7, "fast": 14.1}


def study_iterations(method: str) -> int:
    return math.ceil((STUDY_STEPS + 1) / 2) if method == "factor_vae" else STUDY_STEPS


def reduced_dsprites(root: Path) -> GroundTruthData:
    """The reduced dSprites grid rendered into ``root`` (each image the full set's at its factors)."""
    from disentbench import datasets
    from disentbench.datasets.render.dsprites import render_dsprites

    render_dsprites(root, reduced=True, workers=1, progress=False)
    return datasets.get("dsprites_full", root=root)


def pack_configs(data, method: str, k: int, device, precision: str, steps: int, log_every: int, **settings):
    """The ``k`` configs of one measured pack: the method's grid values in turn, seeds 0 … k − 1,
    batch 64, no training-time scores; ``settings`` are further ``TrainConfig`` fields."""
    spec = METHODS[method]
    return [
        TrainConfig(
            dataset=data.name,
            method=method,
            params={spec.hyperparameter: spec.grid[i % len(spec.grid)]},
            seed=i,
            steps=steps,
            batch_size=BATCH,
            log_every=log_every,
            eval_batches=0,
            device=str(device),
            precision=precision,
            factor_vae_reference_steps=False,
            **settings,
        )
        for i in range(k)
    ]


def measure_pack(method, k, data, device, precision, steps, warmup, **settings) -> float | None:
    """Aggregate images/s of a pack of ``k`` (None when it does not fit in memory); ``settings``
    are further ``TrainConfig`` fields (``channels_last``, ``convolutions``)."""
    log_every = 1 if device.type == "cpu" else warmup
    configs = pack_configs(data, method, k, device, precision, warmup + steps, log_every, **settings)
    stamps: list[tuple[int, float]] = []

    def log(step: int, index: int, _values: dict) -> None:
        if index == 0:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            stamps.append((step, time.perf_counter()))

    try:
        train_pack(configs, data, log_fn=log)
    except torch.OutOfMemoryError:
        torch.cuda.empty_cache()
        return None
    timed = [(s, t) for s, t in stamps if s >= warmup]
    if device.type == "cpu":
        seconds_per_iteration = float(np.median(np.diff([t for _, t in timed])))
    else:
        (s0, t0), (s1, t1) = timed[0], timed[-1]
        seconds_per_iteration = (t1 - t0) / (s1 - s0)
    return k * BATCH / seconds_per_iteration


def k_sweep(
    methods,
    ks,
    precisions,
    data,
    device,
    steps,
    warmup,
    rounds,
    deadline=None,
    on_result=None,
    settings=None,
):
    """{(method, precision): {k: best images/s}} measured in interleaved rounds.

    A measurement that fails is printed and kept out of the table (``errors``); measurements
    left when ``deadline`` (``time.perf_counter()`` seconds) has passed are skipped and listed
    as not measured, so a short accelerator lease still returns everything measured so far.
    ``on_result(best, errors)`` is called after each measurement (e.g. to save partial results).
    ``settings``: further ``TrainConfig`` fields of every measured pack.
    """
    best: dict[tuple[str, str], dict[int, float | None]] = {}
    errors: dict[str, str] = {}
    for method in methods:
        for precision in precisions:
            rates: dict[int, float | None] = {}
            best[(method, precision)] = rates
            for _ in range(rounds):
                for k in ks:
                    if k in rates and rates[k] is None:
                        continue  # did not fit
                    if deadline is not None and time.perf_counter() > deadline:
                        errors.setdefault(f"{method}/{precision}/{k}", "not measured: time budget spent")
                        continue
                    try:
                        rate = measure_pack(
                            method, k, data, device, precision, steps, warmup, **(settings or {})
                        )
                    except Exception as error:  # reported; the sweep goes on
                        errors[f"{method}/{precision}/{k}"] = f"{type(error).__name__}: {error}"
                        print(
                            f"  {method} {precision} K={k}: failed: {type(error).__name__}: {error}",
                            flush=True,
                        )
                        continue
                    rates[k] = None if rate is None else max(rate, rates.get(k) or 0.0)
                    errors.pop(f"{method}/{precision}/{k}", None)  # measured in a later round
                    print(f"  {method} {precision} K={k}: {rate and f'{rate:.0f}'} img/s", flush=True)
                    if on_result is not None:
                        on_result(best, errors)
    return best, errors


def encoder_rate(data, device, batch: int = 4096, images: int = 8192) -> float:
    """Images/s of ``TrainedModel.encode`` on ``device`` at batch ``batch``."""
    from disentbench.models.networks import Decoder, Encoder
    from disentbench.models.trained import TrainedModel

    config = TrainConfig(dataset=data.name, method="beta_vae", device=str(device))
    model = TrainedModel(config, Encoder(1), Decoder(1)).to(device)
    x = data.sample_observations(images, np.random.RandomState(0))
    model.encode(x[:batch], batch_size=batch)  # warm-up
    started = time.perf_counter()
    model.encode(x, batch_size=batch)
    return images / (time.perf_counter() - started)


def evaluation_seconds(data, device, preset: str, batch: int) -> dict[str, float]:
    """Wall seconds of ``evaluate`` for one model at ``preset`` and the images it encoded."""
    from disentbench.metrics import evaluate
    from disentbench.models.networks import Decoder, Encoder, initialize_
    from disentbench.models.trained import TrainedModel

    generator = torch.Generator().manual_seed(0)
    config = TrainConfig(dataset=data.name, method="beta_vae", device=str(device))
    model = TrainedModel(config, initialize_(Encoder(1), generator), Decoder(1)).to(device)
    mean = model.representation_function("mean", batch_size=batch)
    counted = {"images": 0}

    def rep(observations: np.ndarray) -> np.ndarray:
        counted["images"] += len(observations)
        return mean(observations)

    started = time.perf_counter()
    evaluate(data, rep, preset=preset)
    return {"seconds": time.perf_counter() - started, "images": counted["images"]}


def print_sweep(best: dict[tuple[str, str], dict[int, float | None]]) -> None:
    """The K sweep as a table: aggregate images/s and the ratio to K = 1 ("OOM": did not fit)."""
    print(f"{'method':<14}{'precision':<10}{'K':>5}{'img/s':>10}{'vs solo':>9}")
    for (method, precision), rates in best.items():
        solo = rates.get(1)
        for k in sorted(rates):
            rate = rates[k]
            ratio = f"{rate / solo:.2f}" if rate and solo else "-"
            shown = f"{rate:,.0f}" if rate else "OOM"
            print(f"{method:<14}{precision:<10}{k:>5}{shown:>10}{ratio:>9}")


def project(best, enc_rate, eval_info, precision) -> dict:
    """Device-hours of the study: training at each method's best K, plus encoder passes."""
    rows, train_hours = [], 0.0
    for (method, prec), rates in best.items():
        if prec != precision or method not in UNSUPERVISED_METHODS:
            continue  # the study is the six unsupervised methods
        fitted = {k: r for k, r in rates.items() if r}
        if not fitted:
            continue  # nothing measured for this method (failed, or the time budget ran out)
        k_best = max(fitted, key=lambda k: fitted[k])
        images = STUDY_MODELS_PER_METHOD * study_iterations(method) * BATCH
        hours = images / fitted[k_best] / 3600
        train_hours += hours
        rows.append({"method": method, "best_k": k_best, "images_per_s": fitted[k_best], "hours": hours})
    methods_measured = len(rows)
    if 0 < methods_measured < len(UNSUPERVISED_METHODS):  # unmeasured: the mean of the measured ones
        train_hours *= len(UNSUPERVISED_METHODS) / methods_measured
    models = STUDY_MODELS
    out = {"precision": precision, "training": rows, "training_device_hours": train_hours}
    for preset, info in eval_info.items():
        encoder_hours = (
            models * REPRESENTATIONS * info["images"] / enc_rate / 3600 if info.get("images") else None
        )
        scoring = info["scoring_seconds"]
        out[f"eval_{preset}"] = {
            **info,
            "encoder_device_hours": encoder_hours,
            "scoring_core_hours": models * REPRESENTATIONS * scoring * info["cores"] / 3600,
            "total_device_hours": train_hours + (encoder_hours or 0.0),
            "cores_to_keep_up": (
                models * REPRESENTATIONS * scoring * info["cores"] / (train_hours * 3600)
                if train_hours
                else None
            ),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--methods", default="beta_vae,factor_vae", help="comma-separated, or 'all' (the study's six methods)"
    )
    parser.add_argument("--ks", default="1,2,4", help="pack sizes, comma-separated")
    parser.add_argument("--precisions", default="fp32", help="comma-separated: fp32,tf32,bf16")
    parser.add_argument("--steps", type=int, default=8, help="timed iterations per measurement")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds over the K values")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--eval-presets", default="fast", help="'paper,fast', 'fast' or 'none'")
    parser.add_argument("--eval-batch", type=int, default=4096, help="encoder batch during evaluation")
    parser.add_argument("--quick", action="store_true", help="beta_vae; K 1,2,4; 5 steps; no evaluate")
    parser.add_argument("--channels-last", choices=("yes", "no"), default="yes", help="convolution layout")
    parser.add_argument(
        "--convolutions",
        choices=CONVOLUTIONS,
        default="native",
        help="native (cuDNN/oneDNN; vmap packs: grouped) or matmul (batched matrix products)",
    )
    parser.add_argument(
        "--cudnn-benchmark",
        action="store_true",
        help="let cuDNN time its algorithms (torch.backends.cudnn.benchmark; the trainer does not)",
    )
    parser.add_argument(
        "--torch-compile",
        action="store_true",
        help="compile each pack's forward pass (TrainConfig.torch_compile)",
    )
    parser.add_argument("--json", type=Path, default=None, help="results, rewritten after each measurement")
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        help="seconds for the K sweep; what is left is listed as not measured",
    )
    args = parser.parse_args()
    if args.quick:
        args.methods, args.ks, args.steps, args.warmup, args.eval_presets = "beta_vae", "1,2,4", 5, 2, "none"
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else args.device)
    if args.device == "auto" and device.type != "cuda":
        device = torch.device("cpu")
    methods = (
        list(UNSUPERVISED_METHODS) if args.methods == "all" else [m.strip() for m in args.methods.split(",")]
    )
    ks = [int(k) for k in args.ks.split(",")]
    precisions = [p.strip() for p in args.precisions.split(",")]
    presets = [] if args.eval_presets == "none" else [p.strip() for p in args.eval_presets.split(",")]
    started = time.perf_counter()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    results: dict = {
        "device": str(device),
        "device_name": name,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "steps": args.steps,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "channels_last": args.channels_last == "yes",
        "convolutions": args.convolutions,
        "torch_compile": args.torch_compile,
        "cudnn_benchmark": args.cudnn_benchmark,
        # The trainer's layouts: the loop strategy (K = 1, CPU packs) follows channels_last; the
        # vmap strategy (K > 1 on an accelerator) runs channels-first; matmul convolutions keep
        # their activations channels-last.
        "layout": {
            "loop": "channels-last" if args.channels_last == "yes" else "channels-first",
            "vmap": "channels-first",
        }
        if args.convolutions == "native"
        else {strategy: "matmul, channels-last activations" for strategy in ("loop", "vmap")},
    }

    def save(best=None, errors=None) -> None:
        """Write what is measured so far (a lease may end before the run does)."""
        if best is not None:
            results["k_sweep"] = {f"{m}/{p}": r for (m, p), r in best.items()}
            results["errors"] = errors
        results["loadavg"] = os.getloadavg()
        if args.json:
            # Whole or not at all: the run may be killed at its time limit mid-write.
            partial = args.json.with_name(args.json.name + ".part")
            partial.write_text(json.dumps(results, indent=2))
            os.replace(partial, args.json)

    with tempfile.TemporaryDirectory() as tmp:
        data = reduced_dsprites(Path(tmp))
        # Evaluation first: it is short, and the K sweep below stops at the time budget.
        enc = encoder_rate(data, device, args.eval_batch)
        results["encoder_images_per_s"] = enc
        print(f"encoder on {device}: {enc:.0f} images/s at batch {args.eval_batch}", flush=True)
        eval_info: dict[str, dict] = {}
        for preset in ("fast", "paper"):
            measured = None
            if preset in presets:
                try:
                    measured = evaluation_seconds(data, device, preset, args.eval_batch)
                except Exception as error:  # reported; the documented figure is used
                    print(f"evaluate at {preset} failed: {type(error).__name__}: {error}", flush=True)
            if measured is not None:
                eval_info[preset] = {
                    "scoring_seconds": measured["seconds"],
                    "images": measured["images"],
                    "cores": os.cpu_count() or 1,
                    "source": "measured (includes the encoder passes)",
                }
                print(
                    f"evaluate at {preset}: {measured['seconds']:.1f} s, {measured['images']} images",
                    flush=True,
                )
            else:
                eval_info[preset] = {
                    "scoring_seconds": DOCUMENTED_SCORING_SECONDS[preset],
                    "images": None,
                    "cores": 2,
                    "source": "docs/metrics_performance.md",
                }
        results["evaluation"] = eval_info
        save()
        print(
            f"K sweep on {device}, batch {BATCH}, {args.steps} timed iterations, {args.rounds} rounds",
            flush=True,
        )
        deadline = time.perf_counter() + args.budget if args.budget else None
        best, errors = k_sweep(
            methods,
            ks,
            precisions,
            data,
            device,
            args.steps,
            args.warmup,
            args.rounds,
            deadline,
            save,
            settings={
                "channels_last": args.channels_last == "yes",
                "convolutions": args.convolutions,
                "torch_compile": args.torch_compile,
            },
        )
    load = os.getloadavg()
    print(f"\ndevice {device} ({name}), torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"convolutions {args.convolutions}, torch_compile {args.torch_compile}")
    print(f"load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print()
    print_sweep(best)
    for where, why in errors.items():
        print(f"{where}: {why}")
    print(f"\nencoder on {device}: {enc:.0f} images/s at batch {args.eval_batch}")
    projections = [project(best, enc, eval_info, p) for p in precisions]
    for proj in projections:
        if not proj["training"]:
            print(f"\nno projection at {proj['precision']}: nothing measured")
            continue
        print(f"\nprojected 12,600-model study at {proj['precision']} on one {device.type} device:")
        bests = ", ".join(f"{r['method']} K={r['best_k']}" for r in proj["training"])
        print(f"  training: {proj['training_device_hours']:,.0f} device-hours ({bests})")
        for preset in ("paper", "fast"):
            e = proj[f"eval_{preset}"]
            enc_h = f"{e['encoder_device_hours']:,.1f}" if e["encoder_device_hours"] is not None else "n/a"
            print(
                f"  evaluation {preset}: encoder {enc_h} device-hours; "
                f"scoring {e['scoring_core_hours']:,.0f} CPU core-hours ({e['source']}), "
                f"{e['cores_to_keep_up']:.1f} cores keep pace with training"
            )
    print(f"\n(bench wall time {time.perf_counter() - started:.0f} s)")
    results["projections"] = projections
    save(best, errors)


if __name__ == "__main__":
    main()
