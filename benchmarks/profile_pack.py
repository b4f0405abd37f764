"""Where a packed training iteration spends its device time: the top kernels of a short run.

Trains a pack of K models (reduced dSprites rendered into a temporary folder) for a few
iterations under ``torch.profiler`` and prints the operators with the most device time (or CPU
time on a CPU). CUDA graphs are off so that every kernel is listed by its operator; the kernels
are the same as in the graphed run, only their launches differ.

    python benchmarks/profile_pack.py --device cuda --k 64 --precision tf32
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch
from bench_pack import pack_configs, reduced_dsprites
from torch.profiler import ProfilerActivity, profile, schedule

from disentbench.models import train_pack


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--method", default="beta_vae")
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--precision", default="fp32")
    parser.add_argument(
        "--channels-last",
        choices=("yes", "no"),
        default="yes",
        help="the loop strategy's layout (vmap: channels-first)",
    )
    parser.add_argument("--steps", type=int, default=12, help="iterations (the last 5 are recorded)")
    parser.add_argument("--rows", type=int, default=25)
    args = parser.parse_args()
    device = torch.device(args.device)
    with tempfile.TemporaryDirectory() as tmp:
        data = reduced_dsprites(Path(tmp))
        # Logged every iteration: member 0's log call steps the profiler once per iteration.
        configs = pack_configs(
            data,
            args.method,
            args.k,
            device,
            args.precision,
            args.steps,
            log_every=1,
            cuda_graphs=False,
            channels_last=args.channels_last == "yes",
        )
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
        wait = max(0, args.steps - 7)
        with profile(activities=activities, schedule=schedule(wait=wait, warmup=2, active=5)) as prof:

            def step_profiler(_step: int, index: int, _values: dict) -> None:
                if index == 0:
                    prof.step()

            results = train_pack(configs, data, log_fn=step_profiler)
    sort = "cuda_time_total" if device.type == "cuda" else "cpu_time_total"
    stats = results[0].model.training_stats
    layout = f"{stats['pack_strategy']}, {stats['conv_layout']}"
    print(f"{args.method} K={args.k} {args.precision} {layout} on {device}: 5 iterations")
    print(prof.key_averages().table(sort_by=sort, row_limit=args.rows, max_name_column_width=60))


if __name__ == "__main__":
    main()
