"""``benchmarks/gpu_check.py``: how it picks the fastest way to run a pack, and splits its JSON."""

from __future__ import annotations

import json

from _benchmarks import load_benchmark


def _gpu_check():
    return load_benchmark("gpu_check")


def _run(rates: dict[str, float | None]) -> dict:
    """A bench_pack JSON as read back: pack sizes are strings, a pack that did not fit is null."""
    return {"k_sweep": {f"beta_vae/{p}": {"1": 10.0, "64": r} for p, r in rates.items()}}


def test_the_fastest_variant_at_bf16_and_k_wins():
    gpu_check = _gpu_check()
    results = {
        "native": _run({"bf16": 120.0, "tf32": 500.0}),
        "matmul": _run({"bf16": 300.0, "tf32": 100.0}),
        "matmul-compiled": _run({"bf16": None}),  # did not fit
        "conv-forms": {"layers": {}},  # not a variant
        "native-cudnn-benchmark": {"exit": "timeout"},  # measured nothing
    }
    assert gpu_check.fastest_variant(results, 64) == "matmul"
    assert gpu_check.fastest_variant(results, 64, "tf32") == "native"
    assert gpu_check.fastest_variant({}, 64) == "native"
    assert set(gpu_check.SETTINGS) == {name for name, *_ in gpu_check.VARIANTS}


def test_split_writes_each_measured_run_for_project_study(tmp_path):
    gpu_check = _gpu_check()
    merged = tmp_path / "gpu-check.json"
    merged.write_text(json.dumps({"native": _run({"bf16": 1.0}), "cuda-tests": {"exit": 0}}))
    written = gpu_check.split(merged, tmp_path, "h200-")
    assert written == [tmp_path / "h200-pack-native.json"]
    assert json.loads(written[0].read_text()) == _run({"bf16": 1.0})
