"""Training throughput of the six methods: disentbench's trainer vs a plain PyTorch loop
(docs/architecture.md).

For each method, at batch 64, this measures steps/s and images/s of

* ``disentbench``: ``disentbench.models.train`` exactly as the study runs it, and
* ``plain``: a straightforward PyTorch loop written here: the same network (defined below, not
  imported), the same objective, default NCHW layout, default (for-each) Adam, batches drawn
  synchronously in the loop, loss ``.item()`` every step.

It reports the ratio disentbench/plain measured in the same run (interleaved repeats, best of
each; on CPU each measurement is the median iteration time, robust to a shared machine's load
bursts; on CUDA the total over the timed iterations), the ratio of process CPU time per iteration
(plain/disentbench: the work done, independent of other load), and projects the hours one 300k-step model
takes (FactorVAE: the reference's 150,001 iterations). Self-contained: the data are a reduced
dSprites rendered into a temporary directory (``--data dsprites``, default) or procedural squares
(``--data squares``); no data file is needed.

What makes the trainer faster than the plain loop: channels-last convolutions (oneDNN/cuDNN),
fused Adam, batches assembled on a background thread, loss values fetched from a CUDA device only
every 50 iterations, FactorVAE's two gradients from one discriminator forward on z (the plain loop,
as common re-implementations do, runs the discriminator on z twice), and on CUDA the whole
iteration captured once as a CUDA graph and replayed (the step is launch-bound at batch 64).

Measured (batch 64, reduced dSprites), ratio = disentbench/plain in the same run:
H200, CUDA graphs: 800-900 it/s (FactorVAE 460) vs plain 165-210 (77): x4.3-6.0, 0.09-0.10 h/300k.
Xeon CPU, quiet, 1 thread: 10-12 it/s (FactorVAE 5.7), x1.12-1.26; 8 threads: 44-57 it/s, x1.28-1.37.

    python benchmarks/bench_train.py                        # all methods, CPU, 40 timed steps
    python benchmarks/bench_train.py --quick                # beta_vae and factor_vae, 15 steps
    python benchmarks/bench_train.py --device cuda --steps 300 --json gpu.json
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
from torch import nn

from disentbench.models import METHODS, TrainConfig, get_method, train
from disentbench.models import objectives as O
from disentbench.models.objectives import EncoderOutputs

STUDY_STEPS = 300_000


# --- the plain baseline: the same network, written out the straightforward way ---------------


def plain_encoder(c: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(c, 32, 4, 2, 1), nn.ReLU(),
        nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(),
        nn.Conv2d(32, 64, 2, 2, 0), nn.ReLU(),
        nn.Conv2d(64, 64, 2, 2, 0), nn.ReLU(),
        nn.Flatten(), nn.Linear(1024, 256), nn.ReLU(), nn.Linear(256, 20),
    )  # fmt: skip


def plain_decoder(c: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(10, 256), nn.ReLU(), nn.Linear(256, 1024), nn.ReLU(), nn.Unflatten(1, (64, 4, 4)),
        nn.ConvTranspose2d(64, 64, 4, 2, 1), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),
        nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU(),
        nn.ConvTranspose2d(32, c, 4, 2, 1),
    )  # fmt: skip


def plain_discriminator() -> nn.Module:
    layers: list[nn.Module] = []
    width = 10
    for _ in range(6):
        layers += [nn.Linear(width, 1000), nn.LeakyReLU(0.2)]
        width = 1000
    return nn.Sequential(*layers, nn.Linear(1000, 2))


def run_plain(method: str, params: dict, data, device: torch.device, steps: int, warmup: int, batch: int):
    """Plain loop; (wall, CPU) seconds for ``steps`` timed iterations after ``warmup`` (``_seconds``)."""
    torch.manual_seed(0)
    c = data.observation_shape[0]
    enc, dec = plain_encoder(c).to(device), plain_decoder(c).to(device)
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=1e-4)
    disc = plain_discriminator().to(device) if method == "factor_vae" else None
    dopt = torch.optim.Adam(disc.parameters(), lr=1e-4, betas=(0.5, 0.9)) if disc is not None else None
    spec = get_method(method)
    rs = np.random.RandomState(0)
    start = cpu_start = 0.0
    stamps = []
    for step in range(warmup + steps):
        if step == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            cpu_start = time.process_time()
        if step >= warmup:
            stamps.append(time.perf_counter())
        x = torch.from_numpy(data.sample_observations(batch, rs)).float().to(device)
        h = enc(x)
        mean, logvar = h[:, :10], h[:, 10:]
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        rec = nn.functional.binary_cross_entropy_with_logits(dec(z), x, reduction="sum") / batch
        kl = 0.5 * torch.sum(mean**2 + logvar.exp() - logvar - 1) / batch
        logits = disc(z) if disc is not None else None
        reg = spec.regularizer(EncoderOutputs(mean, logvar, z, kl, step, logits), **params)
        loss = rec + reg
        opt.zero_grad()
        loss.backward(retain_graph=disc is not None)
        if disc is not None:
            perm = torch.stack([zk[torch.randperm(batch, device=device)] for zk in z.detach().T], 1)
            d_loss = O.discriminator_loss(disc(z.detach()), disc(perm))
            dopt.zero_grad()
            d_loss.backward()
            dopt.step()
        opt.step()
        loss.item()
    if device.type == "cuda":
        torch.cuda.synchronize()
    stamps.append(time.perf_counter())
    cpu = time.process_time() - cpu_start
    return _seconds(stamps, steps, device, time.perf_counter() - start), cpu


def _seconds(stamps: list[float], steps: int, device: torch.device, total: float) -> float:
    """Seconds per ``steps`` iterations: on CPU from the median iteration (robust to other load on a
    shared machine), on CUDA from the total (iterations overlap with the host there)."""
    if device.type == "cpu" and len(stamps) > 2:
        return float(np.median(np.diff(stamps))) * steps
    return total


def run_disentbench(
    method: str, params: dict, data, device: torch.device, steps: int, warmup: int, batch: int
):
    """``disentbench.models.train``; (wall, CPU) seconds for the iterations after ``warmup``."""
    stamps: list[tuple[int, float, float]] = []
    config = TrainConfig(
        dataset=getattr(data, "name", "bench"),
        method=method,
        params=params,
        steps=warmup + steps,
        batch_size=batch,
        log_every=1 if device.type == "cpu" else warmup,  # per-iteration stamps on CPU (synchronous)
        eval_batches=0,
        device=str(device),
        factor_vae_reference_steps=False,  # time the same number of iterations as the plain loop
    )
    train(config, data, log=lambda step, _v: stamps.append((step, time.perf_counter(), time.process_time())))
    timed = [t for step, t, _ in stamps if step >= warmup]
    (s0, t0, c0), (s1, t1, c1) = next(st for st in stamps if st[0] >= warmup), stamps[-1]
    return _seconds(timed, steps, device, (t1 - t0) * steps / (s1 - s0)), (c1 - c0) * steps / (s1 - s0)


def make_data(kind: str, tmp: Path):
    if kind == "squares":
        from disentbench.datasets.squares import SquaresData

        return SquaresData()
    from disentbench import datasets
    from disentbench.datasets.render.dsprites import render_dsprites

    render_dsprites(tmp, reduced=True, workers=1, progress=False)
    return datasets.get("dsprites_full", root=tmp)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=40, help="timed iterations per measurement")
    parser.add_argument("--warmup", type=int, default=10, help="untimed iterations first (also log interval)")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated method names")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repeats, best kept")
    parser.add_argument("--data", choices=["dsprites", "squares"], default="dsprites")
    parser.add_argument("--quick", action="store_true", help="beta_vae,factor_vae; 15 steps; 1 repeat")
    parser.add_argument("--json", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    if args.quick:
        args.methods, args.steps, args.warmup, args.repeats = "beta_vae,factor_vae", 15, 5, 1
    args.steps = max(args.warmup, args.steps // args.warmup * args.warmup)  # a multiple of the log interval
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else args.device)
    if device.type == "cpu" and args.device == "auto":
        device = torch.device("cpu")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        data = make_data(args.data, Path(tmp))
        rows = []
        for method in methods:
            spec = METHODS[method]
            params = {spec.hyperparameter: spec.grid[2]}
            best = {"plain": [math.inf, math.inf], "disentbench": [math.inf, math.inf]}
            for _ in range(args.repeats):
                for name, runner in (("plain", run_plain), ("disentbench", run_disentbench)):
                    wall, cpu = runner(method, params, data, device, args.steps, args.warmup, args.batch_size)
                    best[name] = [min(best[name][0], wall), min(best[name][1], cpu)]
            ours, plain = args.steps / best["disentbench"][0], args.steps / best["plain"][0]
            cpu_ratio = best["plain"][1] / best["disentbench"][1]
            iterations = math.ceil((STUDY_STEPS + 1) / 2) if method == "factor_vae" else STUDY_STEPS
            rows.append(
                {
                    "method": method,
                    "steps_per_s": ours,
                    "images_per_s": ours * args.batch_size,
                    "plain_steps_per_s": plain,
                    "plain_images_per_s": plain * args.batch_size,
                    "ratio": ours / plain,
                    "cpu_time_ratio": cpu_ratio,
                    "study_iterations": iterations,
                    "projected_hours_300k": iterations / ours / 3600,
                }
            )
            print(
                f"  {method}: {ours:.2f} steps/s vs plain {plain:.2f} (×{ours / plain:.2f}; "
                f"CPU time ×{cpu_ratio:.2f})",
                flush=True,
            )
    load = os.getloadavg()
    device_name = (
        torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    )
    print(
        f"\ndevice {device} ({device_name}), torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"batch {args.batch_size}, {args.steps} timed steps, best of {args.repeats}, data {args.data}"
    )
    print(f"load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    header = f"{'method':<14}{'steps/s':>9}{'img/s':>9}{'plain st/s':>12}{'plain img/s':>13}"
    header += f"{'ratio':>7}{'cpu-t ratio':>12}{'h/300k':>9}"
    print(header)
    for r in rows:
        print(
            f"{r['method']:<14}{r['steps_per_s']:>9.2f}{r['images_per_s']:>9.0f}{r['plain_steps_per_s']:>12.2f}"
            f"{r['plain_images_per_s']:>13.0f}{r['ratio']:>7.2f}"
            f"{r['cpu_time_ratio']:>12.2f}{r['projected_hours_300k']:>9.2f}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "device": str(device),
                    "device_name": device_name,
                    "torch": torch.__version__,
                    "threads": torch.get_num_threads(),
                    "batch_size": args.batch_size,
                    "timed_steps": args.steps,
                    "repeats": args.repeats,
                    "data": args.data,
                    "loadavg": load,
                    "results": rows,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
