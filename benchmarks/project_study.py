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

import torch
from bench_pack import DOCUMENTED_SCORING_SECONDS, print_sweep, project

from disentbench.models.packed import resolve_strategy


def merge(paths: list[Path]) -> tuple[dict, float | None, dict, list[str]]:
    """(best rates {(method, precision): {k: rate}}, encoder rates, evaluation info, notes)."""
    best: dict[tuple[str, str], dict[int, float | None]] = {}
    sources: dict[tuple[str, str, int], str] = {}
    evaluation = None
    encoder_rates: list[float] = []
    for path in paths:
        run = json.loads(path.read_text())
        # Files written before the vmap strategy ran channels-first used one layout for both.
        flag = "channels-last" if run.get("channels_last", True) else "channels-first"
        layout = run.get("layout", {"loop": flag, "vmap": flag})
        device = torch.device(run.get("device", "cpu"))
        for key, rates in run.get("k_sweep", {}).items():
            method, precision = key.split("/")
            merged = best.setdefault((method, precision), {})
            for k_text, rate in rates.items():
                k = int(k_text)
                if rate and rate > (merged.get(k) or 0.0):
                    merged[k] = rate
                    strategy = resolve_strategy("auto", device, k)
                    sources[(method, precision, k)] = f"{path.name} ({strategy}, {layout[strategy]})"
        if run.get("encoder_images_per_s"):
            encoder_rates.append(run["encoder_images_per_s"])
        measured = {p: e for p, e in run.get("evaluation", {}).items() if e.get("images")}
        if evaluation is None and measured:
            evaluation = run["evaluation"]
    if evaluation is None:
        evaluation = {
            p: {"scoring_seconds": s, "images": None, "cores": 2, "source": "docs/metrics_performance.md"}
            for p, s in DOCUMENTED_SCORING_SECONDS.items()
        }
    notes = [f"{m} {p} K={k}: {src}" for (m, p, k), src in sorted(sources.items())]
    if encoder_rates:
        notes.append(f"encoder images/s across the files: {', '.join(f'{r:,.0f}' for r in encoder_rates)}")
    return best, encoder_rates, evaluation, notes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--precisions", default="fp32,tf32,bf16")
    args = parser.parse_args()
    best, encoder_rates, evaluation, notes = merge(args.files)
    # The encoder's rate varied between runs: project with the slowest and the fastest.
    encoders = sorted({min(encoder_rates), max(encoder_rates)}) if encoder_rates else [1.0]
    print_sweep(dict(sorted(best.items())))
    for precision in args.precisions.split(","):
        projections = [project(best, rate, evaluation, precision) for rate in encoders]
        proj = projections[0]
        if not proj["training"]:
            continue
        measured = ", ".join(f"{r['method']} K={r['best_k']} {r['hours']:,.0f} h" for r in proj["training"])
        print(f"\nat {precision}: training {proj['training_device_hours']:,.0f} device-hours ({measured})")
        for preset in ("paper", "fast"):
            e = proj[f"eval_{preset}"]
            hours = [p[f"eval_{preset}"]["encoder_device_hours"] for p in projections]
            if hours[0] is None:
                shown, totals = "n/a", f"{proj['training_device_hours']:,.0f}"
            else:
                shown = " to ".join(f"{h:,.1f}" for h in sorted(hours))
                totals = " to ".join(f"{proj['training_device_hours'] + h:,.0f}" for h in sorted(hours))
            print(
                f"  + evaluation at {preset}: encoder {shown} device-hours -> {totals} device-hours; "
                f"scoring {e['scoring_core_hours']:,.0f} CPU core-hours ({e['source']}), "
                f"{e['cores_to_keep_up']:.1f} cores keep pace"
            )
    print("\nsources of the rates:")
    for note in notes:
        print(f"  {note}")


if __name__ == "__main__":
    main()
