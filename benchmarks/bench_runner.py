"""Runner overhead per trial and the memory of 1 vs 2 concurrent trials on dSprites (docs/results.md).

Two measurements, each within one run of this script on an embedded Ray:

1. **Overhead**: a study of small real trials (data, training, evaluation) with the real runner.
   Per trial: ``driver_wall_seconds − train_seconds − eval_seconds`` (everything the runner adds:
   scheduling, actor start, data preparation, checkpoint reports, record transfer and write), and
   the part spent inside the trial function (``wall_seconds − train − eval``). Target ≤ 3 s.
2. **Memory**: the same trial alone, then two of them concurrently, while a sampler on the driver
   reads the memory of the trial worker processes every 0.2 s. Reported: the peak sum of PSS
   (proportional set size: shared pages such as the memory-mapped dSprites cache are split between
   the processes that map them, so the sum is what the machine really spends) and of RSS (which
   counts shared pages once per process). Target: the second trial adds ≤ 500 MB.

Usage::

    python benchmarks/bench_runner.py            # 6 trials of 100 steps; memory with 300 steps
    python benchmarks/bench_runner.py --quick    # 2 trials of 40 steps; memory with 150 steps

The machine is shared: the load average is printed with the results; compare ratios within a run.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil

from disentbench.benchmark.runner import RunOptions, run_study
from disentbench.benchmark.study import parse_study
from disentbench.results.records import existing_records


def study(name: str, seeds: int, steps: int, metrics: list[str]) -> dict:
    return {
        "study": name,
        "datasets": ["dsprites_full"],
        "methods": {"beta_vae": [1]},
        "seeds": seeds,
        "training": {
            "steps": steps,
            "batch_size": 64,
            "checkpoint_every": max(1, steps // 2),
            "eval_batches": 10,
        },
        "evaluation": {"preset": "fast", "metrics": metrics, "representations": ["mean"]},
        "resources": {"cpus_per_trial": 1, "max_failures": 0},
    }


class MemorySampler:
    """Peak summed PSS and RSS of this process's Ray trial workers, sampled in a thread."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak_pss = 0
        self.peak_rss = 0
        self.peak_workers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _workers(self) -> list[psutil.Process]:
        out = []
        for proc in psutil.Process(os.getpid()).children(recursive=True):
            try:
                if "ImplicitFunc" in " ".join(proc.cmdline()):
                    out.append(proc)
            except psutil.Error:
                continue
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            pss = rss = 0
            workers = self._workers()
            for proc in workers:
                try:
                    info = proc.memory_full_info()
                    pss += info.pss
                    rss += info.rss
                except psutil.Error:
                    continue
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_workers = max(self.peak_workers, len(workers))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run (fewer, shorter trials)")
    parser.add_argument("--data-root", help="data root (default: $DISENTBENCH_DATA or the user data dir)")
    parser.add_argument("--metrics", nargs="+", default=["mig", "unsupervised"], help="metrics per trial")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    trials, steps, mem_steps = (2, 40, 150) if args.quick else (6, 100, 300)
    ray.init(address="local", include_dashboard=False, num_cpus=2, log_to_driver=False)
    try:
        with tempfile.TemporaryDirectory(prefix="bench_runner_") as tmp:
            options = RunOptions(data_root=args.data_root, max_concurrent=2)
            t0 = time.perf_counter()
            run_study(parse_study(study("overhead", trials, steps, args.metrics)), Path(tmp) / "o", options)
            total = time.perf_counter() - t0
            records = list(existing_records(Path(tmp) / "o").values())
            outside, inside = [], []
            for r in records:
                t = r["timings"]
                outside.append(t["driver_wall_seconds"] - t["train_seconds"] - t["eval_seconds"])
                inside.append(t["wall_seconds"] - t["train_seconds"] - t["eval_seconds"])

            peaks = {}
            for concurrent in (1, 2):
                spec = study(f"mem{concurrent}", concurrent, mem_steps, args.metrics)
                opts = RunOptions(data_root=args.data_root, max_concurrent=concurrent)
                with MemorySampler() as sampler:
                    run_study(parse_study(spec), Path(tmp) / f"m{concurrent}", opts)
                peaks[concurrent] = sampler
    finally:
        ray.shutdown()

    mb = 1 / 2**20
    print(f"\nload average at the end: {os.getloadavg()}")
    print(
        f"\n== runner overhead: {len(records)} trials of {steps} steps, 2 concurrent, "
        f"study wall {total:.1f} s"
    )
    print(f"{'trial':<48} {'train s':>8} {'eval s':>7} {'wall s':>7} {'driver s':>9} {'overhead s':>11}")
    for r, over in zip(records, outside, strict=True):
        t = r["timings"]
        print(
            f"{r['trial_id']:<48} {t['train_seconds']:8.2f} {t['eval_seconds']:7.2f} {t['wall_seconds']:7.2f}"
            f" {t['driver_wall_seconds']:9.2f} {over:11.2f}"
        )
    print(
        f"overhead per trial (driver wall − train − eval): median {statistics.median(outside):.2f} s, "
        f"max {max(outside):.2f} s (target ≤ 3 s); of which inside the trial function: "
        f"median {statistics.median(inside):.2f} s"
    )
    print(f"\n== memory of trial workers, {mem_steps} steps each")
    print(f"{'concurrent':>10} {'workers':>8} {'peak PSS MB':>12} {'peak RSS MB':>12}")
    for concurrent, s in peaks.items():
        print(f"{concurrent:>10} {s.peak_workers:>8} {s.peak_pss * mb:12.0f} {s.peak_rss * mb:12.0f}")
    added = (peaks[2].peak_pss - peaks[1].peak_pss) * mb
    rss_added = (peaks[2].peak_rss - peaks[1].peak_rss) * mb
    print(f"second trial adds {added:.0f} MB PSS (target ≤ 500 MB); RSS delta {rss_added:.0f} MB")


if __name__ == "__main__":
    main()
