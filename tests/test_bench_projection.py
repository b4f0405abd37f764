"""The study projection of ``benchmarks/bench_pack.py`` (its arithmetic, not its speed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _bench_pack():
    spec = importlib.util.spec_from_file_location("bench_pack", BENCHMARKS / "bench_pack.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["bench_pack"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


EVAL = {"paper": {"scoring_seconds": 10.0, "images": 1_000_000, "cores": 4, "source": "test"}}


def test_training_hours_are_the_study_images_over_the_best_rate():
    bench = _bench_pack()
    rate = 100_000.0
    best = {(m, "bf16"): {1: rate / 2, 64: rate} for m in bench.UNSUPERVISED_METHODS}
    best[("gvae", "bf16")] = {64: 1.0}  # a weak method is not part of the 2019 study
    proj = bench.project(best, 500_000.0, EVAL, "bf16")
    # 2,100 models per method × 300,000 iterations of 64 (FactorVAE 150,001) at 100,000 images/s.
    per_method = 2_100 * 300_000 * 64 / rate / 3600
    factor = 2_100 * 150_001 * 64 / rate / 3600
    assert proj["training_device_hours"] == pytest.approx(5 * per_method + factor)
    assert {row["best_k"] for row in proj["training"]} == {64}
    assert len(proj["training"]) == 6
    encoder = 12_600 * 2 * 1_000_000 / 500_000 / 3600
    assert proj["eval_paper"]["encoder_device_hours"] == pytest.approx(encoder)
    assert proj["eval_paper"]["scoring_core_hours"] == pytest.approx(12_600 * 2 * 10 * 4 / 3600)


def test_unmeasured_methods_count_as_the_mean_of_the_measured_six():
    bench = _bench_pack()
    best = {("beta_vae", "fp32"): {64: 50_000.0}, ("dip_vae_i", "fp32"): {64: 50_000.0, 128: None}}
    proj = bench.project(best, 1.0, EVAL, "fp32")
    assert proj["training_device_hours"] == pytest.approx(6 * 2_100 * 300_000 * 64 / 50_000 / 3600)
