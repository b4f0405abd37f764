"""Data benchmarks: render times, load memory, and memory added by a second sharing process.

Measures (docs/architecture.md):
* full dSprites render time (target ≤ 2 min on 2 cores) and Shapes3D render time (≤ 30 min);
* peak RSS of loading each data set: cold (first load, builds the shared pixel cache) and warm;
* unique (USS) and proportional (PSS) memory added by a second process that maps the same pixels
  and reads every image while a first process holds them (target: ≤ 10 % of the pixel bytes).

Every measurement runs in a fresh child process. The machine may be shared and noisy: the load
average is printed with the results. Usage::

    python benchmarks/bench_data.py                 # full dSprites + full Shapes3D
    python benchmarks/bench_data.py --skip-shapes3d # dSprites only
    python benchmarks/bench_data.py --quick         # reduced grids (seconds)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

_LOAD = textwrap.dedent(
    """
    import json, sys, time
    def peak_rss():
        # VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec and reports the parent's peak
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    t = time.perf_counter()
    from disentbench.datasets import get
    data = get(sys.argv[1], root=sys.argv[2])
    print(json.dumps({"seconds": time.perf_counter() - t,
                      "peak_rss": peak_rss()}))
    """
)

_TOUCH = textwrap.dedent(
    """
    import json, sys
    import numpy as np, psutil
    from disentbench.datasets import get
    data = get(sys.argv[1], root=sys.argv[2])
    proc = psutil.Process()
    before = proc.memory_full_info()
    sizes = data.factors_num_values
    n = int(np.prod(sizes))
    rs = np.random.RandomState(0)
    for start in range(0, n, 64):  # small batches: little transient heap
        idx = np.arange(start, min(n, start + 64))
        data.sample_observations_from_factors(np.stack(np.unravel_index(idx, sizes), axis=1), rs)
    after = proc.memory_full_info()
    pixels = data.images if isinstance(data.images, np.ndarray) else data.images.bits
    pixel_file = str(getattr(data, "pixel_file", None) or data.images.cache_file)
    maps = [m for m in proc.memory_maps(grouped=True) if m.path == pixel_file]
    print(json.dumps({"uss": after.uss - before.uss, "pss": after.pss - before.pss,
                      "map_private": sum(m.private_clean + m.private_dirty for m in maps),
                      "map_pss": sum(m.pss for m in maps), "pixel_bytes": int(pixels.nbytes)}), flush=True)
    sys.stdin.readline()
    """
)


def _child(script: str, *args: str, keep: bool = False) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        raise SystemExit(f"child {args} failed with status {proc.returncode}")
    if not keep:
        proc.communicate("\n")
    return proc, json.loads(line)


def _release(proc: subprocess.Popen) -> None:
    proc.communicate("\n")


def _render(name: str, root: Path, reduced: bool, workers: int) -> float:
    from disentbench.datasets import paths, render_source

    started = time.perf_counter()
    render_source(name, paths.default_path(name, root), reduced=reduced, workers=workers, progress=False)
    return time.perf_counter() - started


def bench(name: str, source: str, root: Path, reduced: bool, workers: int) -> list[tuple[str, str]]:
    """Rows (measure, value) for one data set."""
    mib = 1024**2
    rows = [(f"{source} render ({'reduced' if reduced else 'full'}, {workers} workers)", "")]
    rows[0] = (rows[0][0], f"{_render(source, root, reduced, workers):.1f} s")
    _, cold = _child(_LOAD, name, str(root))
    rows.append((f"{name} first load (builds shared cache): time / peak RSS", _fmt(cold, mib)))
    _, warm = _child(_LOAD, name, str(root))
    rows.append((f"{name} warm load: time / peak RSS", _fmt(warm, mib)))
    first, a = _child(_TOUCH, name, str(root), keep=True)
    try:
        _, b = _child(_TOUCH, name, str(root))
    finally:
        _release(first)
    px = a["pixel_bytes"]
    rows.append((f"{name} pixel bytes in the shared map", f"{px / mib:.1f} MiB"))
    rows.append(
        (
            f"{name} process A alone: USS added / map private",
            f"{a['uss'] / mib:.1f} / {a['map_private'] / mib:.1f} MiB",
        )
    )
    rows.append(
        (
            f"{name} process B (A alive): USS added / PSS added / map private",
            f"{b['uss'] / mib:.1f} / {b['pss'] / mib:.1f} / {b['map_private'] / mib:.1f} MiB "
            f"(USS = {100 * b['uss'] / px:.1f} % of pixel bytes)",
        )
    )
    return rows


def _fmt(result: dict, mib: int) -> str:
    return f"{result['seconds']:.2f} s / {result['peak_rss'] / mib:.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="reduced grids (a quick check)")
    parser.add_argument("--skip-shapes3d", action="store_true", help="dSprites only")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--root", type=Path, default=None, help="data root to render into (default: temp)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_data_") as tmp:
        root = args.root or Path(tmp)
        print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}", flush=True)
        rows = bench("dsprites_full", "dsprites", root / "d", args.quick, args.workers)
        if not args.skip_shapes3d:
            rows += bench("shapes3d", "shapes3d", root / "s", args.quick, args.workers)
        width = max(len(r[0]) for r in rows)
        print(f"\n{'measure':<{width}}  value")
        for measure, value in rows:
            print(f"{measure:<{width}}  {value}")
        print(f"\nload average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
