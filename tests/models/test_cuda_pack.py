"""Packed training on a CUDA device (skipped where none is available).

On a CPU the pack's accelerator path (``vmap`` over stacked parameters, device-resident pixels)
is tested through its CPU equivalent (``test_pack_trainer.py``, ``test_device_data.py``); these
tests run the real thing — vmapped grouped convolutions, CUDA graph replay, batches gathered on
the GPU — and compare each member with its solo run on the same device. cuDNN picks different
kernels for a grouped and a plain convolution, so the comparison has a tolerance here; both runs use
deterministic kernels (``conftest.py``), so that Adam does not magnify run-to-run rounding.
"""

from __future__ import annotations

import pytest
import torch

from disentbench import datasets
from disentbench.models import TrainConfig, train, train_pack

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

MEMBERS = {
    "beta_vae": [({"beta": 1}, 3), ({"beta": 4}, 11), ({"beta": 16}, 3), ({"beta": 2}, 27)],
    "factor_vae": [({"gamma": 10}, 5), ({"gamma": 40}, 6), ({"gamma": 100}, 5)],
    "annealed_vae": [
        ({"c_max": 5, "iteration_threshold": 10}, 1),
        ({"c_max": 25, "iteration_threshold": 20}, 2),
    ],
}


def _configs(method: str, steps: int, convolutions: str = "native") -> list[TrainConfig]:
    return [
        TrainConfig(
            dataset="dsprites_full",
            method=method,
            params=dict(params),
            seed=seed,
            steps=steps,
            log_every=1,
            eval_batches=1,
            device="cuda",
            precision="fp32",
            factor_vae_reference_steps=False,
            convolutions=convolutions,
        )
        for params, seed in MEMBERS[method]
    ]


@pytest.mark.parametrize("convolutions", ["native", "matmul"])
@pytest.mark.parametrize("method", list(MEMBERS))
def test_vmapped_pack_on_cuda_matches_solo_runs(dsprites_root, method, convolutions, deterministic):
    """Each member of a vmapped pack (grouped convolutions, or batched matrix products with
    ``convolutions: matmul``) follows its solo run with native convolutions."""
    data = datasets.get("dsprites_full", root=dsprites_root)
    configs = _configs(method, steps=20, convolutions=convolutions)
    packed: list[list[dict[str, float]]] = [[] for _ in configs]
    results = train_pack(configs, data, log_fn=lambda _s, k, v: packed[k].append(v))
    assert results[0].model.training_stats["pack_strategy"] == "vmap"
    assert results[0].model.training_stats["convolutions"] == convolutions
    for k, config in enumerate(_configs(method, steps=20)):
        solo: list[dict[str, float]] = []
        train(config, data, log=lambda _s, v, solo=solo: solo.append(v))
        assert len(packed[k]) == len(solo) == config.num_iterations
        for step, (got, want) in enumerate(zip(packed[k], solo, strict=True)):
            for key in ("loss", "reconstruction_loss"):
                assert got[key] == pytest.approx(want[key], rel=2e-3), (k, step, key)


def test_device_resident_pixels_give_the_host_batches_on_cuda(dsprites_root, deterministic):
    data = datasets.get("dsprites_full", root=dsprites_root)
    configs = _configs("beta_vae", steps=6)
    runs = []
    for on_device in (True, False):
        seen: list[list[dict[str, float]]] = [[] for _ in configs]
        train_pack(
            configs, data, log_fn=lambda _s, k, v, seen=seen: seen[k].append(v), data_on_device=on_device
        )
        runs.append(seen)
    for k in range(len(configs)):
        for got, want in zip(runs[0][k], runs[1][k], strict=True):
            assert got["loss"] == pytest.approx(want["loss"], rel=1e-4)


def test_a_compiled_matmul_pack_at_bf16_on_cuda(dsprites_root):
    """Inductor's kernels inside the trainer's CUDA graph, under bf16 autocast: the compiled matmul
    pack's losses are finite and follow the eager pack's (bf16 rounding: 2 % per step)."""
    data = datasets.get("dsprites_full", root=dsprites_root)
    runs = []
    for compiled in (False, True):
        configs = [
            TrainConfig(**{**c.__dict__, "precision": "bf16", "torch_compile": compiled})
            for c in _configs("beta_vae", steps=8, convolutions="matmul")
        ]
        seen: list[list[dict[str, float]]] = [[] for _ in configs]
        results = train_pack(configs, data, log_fn=lambda _s, k, v, seen=seen: seen[k].append(v))
        assert results[0].model.training_stats["torch_compile"] is compiled
        runs.append(seen)
    for eager, compiled in zip(*runs, strict=True):
        for got, want in zip(compiled, eager, strict=True):
            assert torch.isfinite(torch.tensor(got["loss"]))
            assert got["loss"] == pytest.approx(want["loss"], rel=2e-2)
