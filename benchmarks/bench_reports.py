"""Benchmark: HTML report and leaderboard for a study-sized (12,600-model) synthetic results table.

Target (README.md): the whole report in ≤ 60 s on 2 cores. Prints, per figure-process count, the
wall time of each phase (analyses, figures, HTML; leaderboard separately) with the CPU seconds of
this process and its workers, the machine's load average before and after (the machine may be
shared), and the ratio of the timings within this run.

    python benchmarks/bench_reports.py                 # 12,600 models, 1 and 2 figure processes
    python benchmarks/bench_reports.py --quick         # 7 × 36 × 5 = 1,260 models, 1 process only
    python benchmarks/bench_reports.py --seeds 50 --jobs 2 --keep /tmp/report
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_once(df, out: Path, jobs: int, draws: int) -> dict[str, float]:
    """Time one report (phase by phase, as ``write_report`` runs them) and one leaderboard."""
    from disentbench.reports import findings, html, leaderboard, pipeline

    times: dict[str, float] = {}
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    sections = pipeline.run_analyses(df, draws=draws)
    t1 = time.perf_counter()
    pipeline.draw_figures(sections, out, jobs=jobs)
    t2 = time.perf_counter()
    items = findings.findings(sections, pipeline.count_models(df))
    boards = pipeline.leaderboards(df)
    page = html.page(df, sections, items, boards, "synthetic")
    (out / "report.html").write_text(page, encoding="utf-8")
    t3 = time.perf_counter()
    times.update(analyses=t1 - t0, figures=t2 - t1, html=t3 - t2, total=t3 - t0, cpu=cpu_seconds() - cpu0)
    t4 = time.perf_counter()
    leaderboard.to_markdown(leaderboard.build(df, preset="paper"))
    times["leaderboard"] = time.perf_counter() - t4
    times["html_mb"] = (out / "report.html").stat().st_size / 1e6
    times["pngs"] = len(list(out.glob("*.png")))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=50, help="seeds per setting (50: 12,600 models)")
    parser.add_argument("--jobs", default="1,2", help="comma-separated figure-process counts to time")
    parser.add_argument("--draws", type=int, default=10_000, help="transfer Monte-Carlo draws per cell")
    parser.add_argument("--quick", action="store_true", help="5 seeds per setting and 1 process only")
    parser.add_argument("--keep", type=Path, help="write the (last) report here instead of a temp folder")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.jobs = 5, "1"

    from disentbench.reports.synthetic import synthetic_table

    load_before = os.getloadavg()
    start = time.perf_counter()
    df = synthetic_table(datasets=args.datasets, seeds=args.seeds)
    n_models = df["trial_id"].nunique()
    print(f"synthetic table: {n_models:,} models, {len(df):,} rows, {df.shape[1]} columns "
          f"(generated in {time.perf_counter() - start:.1f} s, not counted)")  # fmt: skip
    print(f"cores: {os.cpu_count()}, load average before: {_load(load_before)}")

    results = {}
    for jobs in [int(j) for j in args.jobs.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            out = args.keep or Path(tmp)
            out.mkdir(parents=True, exist_ok=True)
            results[jobs] = run_once(df, out, jobs, args.draws)

    cols = ("analyses", "figures", "html", "total", "cpu", "leaderboard")
    print()
    print(f"| figure processes | {' | '.join(c + ' (s)' for c in cols)} | PNGs | HTML (MB) | ≤ 60 s |")
    print("|" + "---|" * (len(cols) + 4))
    for jobs, t in results.items():
        cells = " | ".join(f"{t[c]:.1f}" for c in cols)
        ok = "yes" if t["total"] <= 60 else "NO"
        print(f"| {jobs} | {cells} | {t['pngs']:.0f} | {t['html_mb']:.1f} | {ok} |")
    if 1 in results and len(results) > 1:
        for jobs, t in results.items():
            if jobs != 1:
                ratio = results[1]["total"] / t["total"]
                print(f"\nspeed-up of the whole report with {jobs} processes vs 1: {ratio:.2f}×")
    print(f"load average after: {_load(os.getloadavg())}")


def _load(values: tuple[float, float, float]) -> str:
    """A load-average triple as text."""
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
