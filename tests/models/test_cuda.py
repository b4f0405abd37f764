"""The trainer on a CUDA device (skipped where none is available).

Comparisons of two runs (eager against graph replay, straight against resumed) run with
deterministic algorithms (the ``deterministic`` fixture, ``conftest.py``): cuDNN's default
convolution kernels add in varying order, and Adam turns those last-bit differences of near-zero
gradients into step-sized ones within a few iterations (FactorVAE's discriminator, H200:
regularizer 0.0446 against 0.0413 at iteration 20 without, equal with deterministic algorithms).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from disentbench.datasets.squares import SquaresData
from disentbench.models import METHODS, TrainConfig, train

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _config(method, **overrides):
    base = dict(
        dataset="synthetic_squares", method=method, steps=12, log_every=4, eval_batches=2, device="auto"
    )
    base.update(overrides)
    return TrainConfig(**base)


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_trains_on_cuda(method):
    model = train(_config(method), SquaresData())
    assert model.training_stats["device"].startswith("cuda")
    assert np.isfinite(model.training_stats["loss"])
    assert next(model.encoder.parameters()).is_cuda
    images = SquaresData().sample_observations(5, np.random.RandomState(0))
    codes = model.representation_function("mean")(images)
    assert codes.shape == (5, 10) and codes.dtype == np.float32
    cpu_codes = model.to("cpu").representation_function("mean")(images)
    np.testing.assert_allclose(codes, cpu_codes, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("method", ["beta_vae", "factor_vae"])
def test_checkpoint_resume_on_cuda(tmp_path, method, deterministic):
    config = _config(method, steps=16, factor_vae_reference_steps=False)
    straight = train(config, SquaresData())

    class Crash(Exception):
        pass

    def crash(step, _directory):
        if step == 8:
            raise Crash

    with pytest.raises(Crash):
        train(config, SquaresData(), checkpoint_dir=tmp_path, checkpoint_every=8, on_checkpoint=crash)
    resumed = train(config, SquaresData(), checkpoint_dir=tmp_path, checkpoint_every=8)
    assert resumed.training_stats["resumed_from_step"] == 8
    for (name, a), (_, b) in zip(
        straight.encoder.state_dict().items(), resumed.encoder.state_dict().items(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.parametrize("method", ["annealed_vae", "factor_vae", "beta_tc_vae"])
def test_cuda_graph_replay_matches_eager(method, deterministic):
    params = {"c_max": 25, "iteration_threshold": 10} if method == "annealed_vae" else {}
    runs = {}
    for graphs in (False, True):
        seen = []
        config = _config(method, steps=20, log_every=1, params=params, cuda_graphs=graphs)
        config.factor_vae_reference_steps = False
        train(config, SquaresData(), log=lambda step, values, seen=seen: seen.append(values))
        runs[graphs] = seen
    assert len(runs[True]) == len(runs[False]) == 20
    for step, (eager, replay) in enumerate(zip(runs[False], runs[True], strict=True)):
        for key in eager:
            assert replay[key] == pytest.approx(eager[key], rel=2e-3, abs=1e-3), (step, key)
