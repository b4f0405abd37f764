"""The study projection of ``benchmarks/bench_pack.py`` (its arithmetic, not its speed)."""

from __future__ import annotations

import pytest
from _benchmarks import load_benchmark


def _bench_pack():
    return load_benchmark("bench_pack")


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


def test_the_k_sweep_reports_failures_and_stops_at_its_budget(monkeypatch):
    """A failing measurement is reported and the sweep goes on; a pack that does not fit is None;
    after the deadline the rest is listed as not measured; every result is handed on at once."""
    bench = _bench_pack()
    calls = []

    def fake_measure(method, k, data, device, precision, steps, warmup, **settings):
        calls.append((method, k, settings))
        if k == 2:
            raise RuntimeError("cuDNN said no")
        if k == 8:
            return None  # out of memory
        if k == 4:
            clock["now"] = 100.0  # this measurement used up the budget
        return 10.0 * k

    clock = {"now": 0.0}
    monkeypatch.setattr(bench, "measure_pack", fake_measure)
    monkeypatch.setattr(bench.time, "perf_counter", lambda: clock["now"])
    seen = []
    best, errors = bench.k_sweep(
        ["beta_vae"],
        [1, 8, 2, 4, 16],
        ["bf16"],
        None,
        None,
        5,
        1,
        1,
        deadline=50.0,
        on_result=lambda b, e: seen.append(dict(b[("beta_vae", "bf16")])),
        settings={"convolutions": "matmul"},
    )
    assert best[("beta_vae", "bf16")] == {1: 10.0, 8: None, 4: 40.0}
    assert errors == {
        "beta_vae/bf16/2": "RuntimeError: cuDNN said no",
        "beta_vae/bf16/16": "not measured: time budget spent",
    }
    assert [k for _, k, _ in calls] == [1, 8, 2, 4] and calls[0][2] == {"convolutions": "matmul"}
    assert seen == [{1: 10.0}, {1: 10.0, 8: None}, {1: 10.0, 8: None, 4: 40.0}]
