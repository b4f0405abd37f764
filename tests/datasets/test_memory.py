"""Pixels are stored once per machine: a second process mapping the same data adds little memory.

Process A loads the data set and reads every image; then process B does the same while A is
alive. B's unique memory (USS) grows by far less than the pixel bytes, because the pages are the
shared page-cache pages of one memory-mapped file (README.md). A's own growth (before B
exists) is checked too, so the measurement is shown able to see the pixels at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _datasets_helpers import write_h5

psutil = pytest.importorskip("psutil")

_CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np, psutil
    from disentbench.datasets import get
    name, root = sys.argv[1], sys.argv[2]
    kwargs = {k: tuple(v) for k, v in json.loads(sys.argv[3]).items()} if len(sys.argv) > 3 else {}
    proc = psutil.Process()
    data = get(name, root=root, **kwargs)
    before = proc.memory_full_info()
    sizes = data.factors_num_values
    grid = np.stack(np.unravel_index(np.arange(int(np.prod(sizes))), sizes), axis=1)
    total, rs = 0.0, np.random.RandomState(0)
    for start in range(0, len(grid), 32):  # small batches: little transient heap
        total += float(data.sample_observations_from_factors(grid[start:start + 32], rs).sum())
    after = proc.memory_full_info()
    pixels = data.images if isinstance(data.images, np.ndarray) else data.images.bits
    pixel_file = str(data.pixel_file if hasattr(data, "pixel_file") else data.images.cache_file)
    mapping = [m for m in proc.memory_maps(grouped=True) if m.path == pixel_file]
    private = sum(m.private_clean + m.private_dirty for m in mapping)
    print(json.dumps({"uss": after.uss - before.uss, "pss": after.pss - before.pss,
                      "map_private": private, "map_rss": sum(m.rss for m in mapping),
                      "map_pss": sum(m.pss for m in mapping),
                      "pixel_bytes": int(pixels.nbytes), "total": total}), flush=True)
    sys.stdin.readline()  # stay alive (keeping the mapping) until the parent says so
    """
)


def _start(name: str, root: Path, **kwargs: object) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, name, str(root), json.dumps(kwargs)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=30)
        raise AssertionError(f"child failed with status {proc.returncode}")
    return proc, json.loads(line)


def _stop(proc: subprocess.Popen) -> None:
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("compression", [None, "gzip"])
def test_second_process_shares_shapes3d_pixels(tmp_path, compression):
    sizes = (3, 3, 3, 4, 4, 10)  # 4,320 images = 53 MB of pixels
    n = int(np.prod(sizes))
    images = np.random.RandomState(0).randint(0, 256, (n, 64, 64, 3)).astype(np.uint8)
    write_h5(tmp_path / "3dshapes" / "3dshapes.h5", sizes, compression=compression, images=images)
    first, a = _start("shapes3d", tmp_path)
    try:
        second, b = _start("shapes3d", tmp_path)
        _stop(second)
    finally:
        _stop(first)
    assert a["pixel_bytes"] == images.nbytes and a["total"] == b["total"]
    # Alone, A holds the pages privately; B maps the same pages, so they become shared.
    assert a["map_private"] > 0.9 * a["pixel_bytes"], a
    assert a["uss"] > 0.5 * a["pixel_bytes"], a
    assert b["map_private"] < 0.01 * b["pixel_bytes"], b
    assert b["uss"] < 0.10 * b["pixel_bytes"], b  # everything else B allocated included
    assert b["map_pss"] < 0.6 * b["pixel_bytes"], b
    print(f"\nshapes3d ({compression}): A {a}\nB {b}")


def test_second_process_shares_dsprites_bits(dsprites_root):
    first, a = _start("dsprites_full", dsprites_root)
    try:
        second, b = _start("dsprites_full", dsprites_root)
        _stop(second)
    finally:
        _stop(first)
    assert a["pixel_bytes"] == 11520 * 64 * 8 and a["total"] == b["total"]
    # (this test process may map the cache too, so A's pages need not be private)
    assert a["map_rss"] > 0.9 * a["pixel_bytes"], a
    assert b["map_private"] < 0.01 * b["pixel_bytes"], b
    assert b["map_pss"] < 0.6 * b["pixel_bytes"], b


@pytest.mark.parametrize("compressed", [False, True])
def test_second_process_shares_mpi3d_pixels(tmp_path, compressed):
    from _datasets_helpers import write_mpi3d

    grid = (2, 2, 2, 3, 3, 5, 5)  # 1,800 images = 22 MB of pixels
    images = write_mpi3d(tmp_path / "mpi3d_toy" / "mpi3d_toy.npz", grid, compressed=compressed)
    first, a = _start("mpi3d_toy", tmp_path, test_grid=grid)
    try:
        second, b = _start("mpi3d_toy", tmp_path, test_grid=grid)
        _stop(second)
    finally:
        _stop(first)
    assert a["pixel_bytes"] == images.nbytes and a["total"] == b["total"]
    # stored: the npz itself is mapped; compressed: the cache file is (either way, shared pages)
    assert a["map_rss"] > 0.9 * a["pixel_bytes"], a
    assert b["map_private"] < 0.01 * b["pixel_bytes"], b
    assert b["map_pss"] < 0.6 * b["pixel_bytes"], b
