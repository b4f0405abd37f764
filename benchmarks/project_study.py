"""The 12,600-model study's device-hours from one or more ``bench_pack.py --json`` files.

A short accelerator lease rarely measures every method at every precision in one run; this merges
the K sweeps of several runs (the best rate of each method, precision and K across the files; a
file's ``channels_last`` is shown beside its rates) and projects the study as ``bench_pack.py``
does. Evaluation figures come from the first file that measured them.

    python benchmarks/project_study.py benchmarks/results/h200-*.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench_pack import DOCUMENTED_SCORING_SECONDS, project


def merge(paths: list[Path]) -> tuple[dict, float | None, dict, list[str]]:
    """(best rates {(method, precision): {k: rate}}, encoder rate, evaluation info, notes)."""
    best: dict[tuple[str, str], dict[int, float | None]] = {}
    sources: dict[tuple[str, str, int], str] = {}
    encoder, evaluation = None, None
    for path in paths:
        run = json.loads(path.read_text())
        # Files written before the vmap strategy ran channels-first used one layout for both.
        flag = "channels-last" if run.get("channels_last", True) else "channels-first"
        layout = run.get("layout", {"loop": flag, "vmap": flag})
        accelerator = run.get("device", "cpu") != "cpu"
        for key, rates in run.get("k_sweep", {}).items():
            method, precision = key.split("/")
            merged = best.setdefault((method, precision), {})
            for k_text, rate in rates.items():
                k = int(k_text)
                if rate and rate > (merged.get(k) or 0.0):
                    merged[k] = rate
                    strategy = "vmap" if accelerator and k > 1 else "loop"
                    sources[(method, precision, k)] = f"{path.name} ({strategy}, {layout[strategy]})"
        measured = {p: e for p, e in run.get("evaluation", {}).items() if e.get("images")}
        if evaluation is None and measured:
            evaluation, encoder = run["evaluation"], run.get("encoder_images_per_s")
    if evaluation is None:
        evaluation = {
            p: {"scoring_seconds": s, "images": None, "cores": 2, "source": "docs/metrics_performance.md"}
            for p, s in DOCUMENTED_SCORING_SECONDS.items()
        }
    notes = [f"{m} {p} K={k}: {src}" for (m, p, k), src in sorted(sources.items())]
    return best, encoder, evaluation, notes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--precisions", default="fp32,tf32,bf16")
    args = parser.parse_args()
    best, encoder, evaluation, notes = merge(args.files)
    print(f"{'method':<14}{'precision':<10}{'K':>5}{'img/s':>10}{'vs K=1':>8}")
    for (method, precision), rates in sorted(best.items()):
        solo = rates.get(1)
        for k in sorted(rates):
            rate = rates[k]
            ratio = f"{rate / solo:.2f}" if rate and solo else "-"
            print(f"{method:<14}{precision:<10}{k:>5}{rate:>10,.0f}{ratio:>8}")
    for precision in args.precisions.split(","):
        proj = project(best, encoder or 1.0, evaluation, precision)
        if not proj["training"]:
            continue
        measured = ", ".join(f"{r['method']} K={r['best_k']} {r['hours']:,.0f} h" for r in proj["training"])
        print(f"\nat {precision}: training {proj['training_device_hours']:,.0f} device-hours ({measured})")
        for preset in ("paper", "fast"):
            e = proj[f"eval_{preset}"]
            encoder_hours = e["encoder_device_hours"]
            shown = f"{encoder_hours:,.1f}" if encoder_hours is not None else "n/a"
            total = proj["training_device_hours"] + (encoder_hours or 0.0)
            print(
                f"  + evaluation at {preset}: encoder {shown} device-hours -> {total:,.0f} device-hours; "
                f"scoring {e['scoring_core_hours']:,.0f} CPU core-hours ({e['source']}), "
                f"{e['cores_to_keep_up']:.1f} cores keep pace"
            )
    print("\nsources of the rates:")
    for note in notes:
        print(f"  {note}")


if __name__ == "__main__":
    main()
