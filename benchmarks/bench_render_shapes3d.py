"""Time the Shapes3D stand-in renderer (disentbench.datasets.render.shapes3d).

Default: the full render (all 480,000 images) through ``render_shapes3d``. ``--slice F`` times
the geometry phase in full (all 480 configurations) and the colour/compress/write phase for the
first fraction F of the images only, and extrapolates that phase linearly; ``--quick`` is
``--slice 0.05``. The machine may be shared: the load average is printed with the results.

    python benchmarks/bench_render_shapes3d.py --workers 2 [--quick | --slice 0.1]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from disentbench.datasets.render import shapes3d as r
from disentbench.datasets.render.shapes3d_scene import SceneParams


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--slice", type=float, default=1.0, help="fraction of the images to colour, (0, 1]")
    ap.add_argument("--quick", action="store_true", help="same as --slice 0.05")
    args = ap.parse_args()
    frac = 0.05 if args.quick else args.slice
    if not 0 < frac <= 1:
        raise SystemExit("--slice must be in (0, 1]")
    total = 480_000
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "3dshapes.h5"
        if frac == 1:
            t0 = time.perf_counter()
            r.render_shapes3d(target, workers=args.workers, progress=True)
            wall = time.perf_counter() - t0
            rows = [("full render", total, wall, wall)]
        else:
            params = SceneParams()
            values = r.factor_values()
            t0 = time.perf_counter()
            coef, sky = r.shade_grid(values, params, workers=args.workers, progress=True)
            t_geo = time.perf_counter() - t0
            stop = max(1, round(frac * total / (r.CHUNK_IMAGES * 15))) * r.CHUNK_IMAGES * 15
            initargs = (coef, sky, r._hue_rgb(values), np.asarray(params.sky_rgb, dtype=np.float32))
            t0 = time.perf_counter()
            with h5py.File(target, "w") as fh:
                images = r.create_images_dataset(fh, total)
                r.fill_images(images, stop, initargs, workers=args.workers, progress=True)
            t_col = time.perf_counter() - t0
            rows = [
                ("geometry (480 configs)", 0, t_geo, t_geo),
                (f"colour+write slice {stop / total:.1%}", stop, t_col, t_col * total / stop),
                ("estimated full render", total, float("nan"), t_geo + t_col * total / stop),
            ]
        size = target.stat().st_size
    print(f"{'phase':<28} {'images':>8} {'wall s':>8} {'full-run s':>11}")
    for name, n, wall, est in rows:
        wall_text = "-" if np.isnan(wall) else f"{wall:.1f}"
        print(f"{name:<28} {n:>8} {wall_text:>8} {est:>11.1f}")
    est_full = rows[-1][3]
    rate = total / est_full
    what = "file" if frac == 1 else "file of the slice"
    print(f"workers={args.workers}  images/s (full-run estimate) = {rate:.0f}  {what} {size / 1e6:.1f} MB")
    print(f"load average before {load_before}, after {os.getloadavg()}")


if __name__ == "__main__":
    main()
