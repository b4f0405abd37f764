"""Packed training: K models as one computation give each model its solo result (docs/reference/models.md
§2.9–2.11)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from disentbench.datasets.squares import SquaresData
from disentbench.errors import UserError
from disentbench.models import TrainConfig, get_method, pack_key, train, train_pack
from disentbench.models import pack_trainer as pack_trainer_module
from disentbench.models.data_stream import BatchStream, data_stream_seeds
from disentbench.models.device_data import PackBatches
from disentbench.models.networks import build_networks
from disentbench.models.pack_trainer import _Pack

#: Mixed strengths and seeds (one seed repeated with another strength).
MEMBERS = {
    "beta_vae": [({"beta": 1}, 3), ({"beta": 4}, 11), ({"beta": 16}, 3), ({"beta": 2}, 27)],
    "annealed_vae": [
        ({"c_max": 5, "iteration_threshold": 50}, 1),
        ({"c_max": 25, "iteration_threshold": 100}, 2),
        ({"c_max": 100, "iteration_threshold": 50}, 2),
        ({"c_max": 50, "iteration_threshold": 150}, 9),
    ],
    "factor_vae": [({"gamma": 10}, 5), ({"gamma": 40}, 6), ({"gamma": 100}, 5), ({"gamma": 20}, 8)],
    "dip_vae_ii": [({"lambda_od": 1}, 0), ({"lambda_od": 20}, 4), ({"lambda_od": 5}, 7)],
}


def _configs(method: str, steps: int, **overrides) -> list[TrainConfig]:
    base = dict(
        dataset="synthetic_squares",
        steps=steps,
        batch_size=8,
        log_every=1,
        eval_batches=1,
        device="cpu",
        factor_vae_reference_steps=False,
    )
    base.update(overrides)
    return [
        TrainConfig(method=method, params=dict(p), seed=s, **base)  # type: ignore[arg-type]
        for p, s in MEMBERS[method]
    ]


def _solo_losses(config: TrainConfig, data=None) -> tuple[list[dict[str, float]], object]:
    seen: list[dict[str, float]] = []
    model = train(config, data or SquaresData(), log=lambda _s, v: seen.append(v))
    return seen, model


def _pack_losses(configs, data=None, **kwargs):
    seen: list[list[dict[str, float]]] = [[] for _ in configs]
    results = train_pack(configs, data or SquaresData(), log_fn=lambda _s, k, v: seen[k].append(v), **kwargs)
    return seen, results


def _assert_close(got, want, rtol):
    """Per-step losses agree: ``loss`` and ``reconstruction_loss`` to ``rtol`` relative; KL and the
    regulariser, small differences of large sums (AnnealedVAE: γ·|KL − C| with γ = 1000), to
    ``rtol`` of the step's loss."""
    assert len(got) == len(want)
    for step, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g.keys() == w.keys()
        for key in ("loss", "reconstruction_loss"):
            assert g[key] == pytest.approx(w[key], rel=rtol), (step, key)
        for key in set(w) - {"loss", "reconstruction_loss"}:
            assert abs(g[key] - w[key]) <= rtol * abs(w["loss"]), (step, key)


def _encoder_weights(model) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.encoder.state_dict().items()}


def test_pack_key_separates_what_a_pack_must_share():
    a, b, c = _configs("beta_vae", 5)[:3]
    assert pack_key(a) == pack_key(b) == pack_key(c)  # strengths and seeds differ
    other = TrainConfig(**{**a.__dict__, "batch_size": 16})
    assert pack_key(other) != pack_key(a)
    with pytest.raises(UserError, match="config 1 differs from config 0 in batch_size"):
        train_pack([a, other], SquaresData())
    with pytest.raises(UserError, match="precision"):
        TrainConfig(**{**a.__dict__, "precision": "fp16"}).validate()


@pytest.mark.parametrize("method", ["factor_vae", "beta_vae"])
def test_members_start_from_their_solo_weights_and_batches(method):
    """Initial weights and batches of every member are bitwise those of its solo run."""
    configs = _configs(method, 5)
    data = SquaresData()
    pack = _Pack(configs, data, torch.device("cpu"), "auto")
    stacked = pack.nets.stacked
    for k, config in enumerate(configs):
        solo = build_networks(
            1, get_method(method).uses_discriminator, torch.Generator().manual_seed(config.seed)
        )
        for part, module in solo.modules().items():
            for name, value in module.named_parameters():
                assert torch.equal(stacked[part][name][k], value), (k, part, name)
    states = [np.random.RandomState(data_stream_seeds(c.seed)[0]) for c in configs]
    batches = PackBatches(data, 8, states, torch.device("cpu"), prefetch=True)
    solo_streams = [
        BatchStream.of(data, 8, np.random.RandomState(data_stream_seeds(c.seed)[0])) for c in configs
    ]
    try:
        for _ in range(3):
            x, labels = batches.next()
            assert labels is None
            for k, stream in enumerate(solo_streams):
                assert torch.equal(x[k], torch.from_numpy(stream.next()))
                assert all(
                    np.array_equal(a, b)
                    for a, b in zip(batches.states()[0][k][1:2], stream.state()[1:2], strict=True)
                )
    finally:
        batches.close()


@pytest.mark.slow
@pytest.mark.parametrize(("method", "steps"), [("annealed_vae", 200), ("factor_vae", 24)])
def test_packed_members_train_as_their_solo_runs(method, steps):
    """K = 4, mixed strengths and seeds: each member's per-step losses are its solo run's, bit for bit.

    The stacked rows are padded (``packed.ROW_ALIGNMENT``) so the fused Adam update rounds every
    element of a member as it rounds the solo tensor's. AnnealedVAE carries the 200-step claim (its
    capacity schedules end at 50–150 iterations); FactorVAE adds the packed discriminators, for
    which 24 iterations of both updates suffice.
    """
    configs = _configs(method, steps)
    packed, results = _pack_losses(configs)
    for k, config in enumerate(configs):
        solo, model = _solo_losses(config)
        assert packed[k] == solo, k
        assert results[k].failure is None and results[k].index == k
        got = results[k].model.training_stats
        assert got["pack_size"] == 4 and got["precision"] == "fp32"
        assert got["train_data_seed"] == model.training_stats["train_data_seed"]
        for key in ("reconstruction_loss", "kl_loss", "regularizer", "loss"):
            assert got[key] == model.training_stats[key], key


def test_vmap_strategy_matches_the_loop():
    """The accelerator path (vmap over the K slices) computes the same training on a CPU."""
    configs = _configs("dip_vae_ii", 12)
    loop, _ = _pack_losses(configs, strategy="loop")
    vmapped, results = _pack_losses(configs, strategy="vmap")
    assert results[0].model.training_stats["pack_strategy"] == "vmap"
    for k in range(len(configs)):
        _assert_close(vmapped[k], loop[k], 1e-4)


class _NaNForMember(SquaresData):
    """Squares whose batch for pack member ``member`` at iteration ``step`` is NaN.

    The pack draws its members' batches in member order each iteration (host path, ``batched``),
    so call number ``step * size + member`` is that batch.
    """

    def __init__(self, member: int, step: int, size: int):
        super().__init__()
        self.target = step * size + member
        self.calls = 0

    def sample_observations_from_factors(self, factors, random_state):
        images = super().sample_observations_from_factors(factors, random_state)
        if self.calls == self.target:
            images[:] = np.nan
        self.calls += 1
        return images


@pytest.mark.parametrize("device_side_freeze", [False, True])
def test_a_diverging_member_is_frozen_and_the_others_finish(monkeypatch, tmp_path, device_side_freeze):
    """Member 1 diverges at iteration 5: it is reported with its step and last finite losses, its
    slice stops changing, and members 0 and 2 finish exactly as without the fault."""
    monkeypatch.setattr(pack_trainer_module, "_masks_every_step", lambda _device: device_side_freeze)
    configs = _configs("beta_vae", 10)[:3]
    data = _NaNForMember(member=1, step=5, size=3)
    snapshots: dict[int, torch.Tensor] = {}

    def snapshot(step, folder):
        from disentbench.models.checkpoints import load_tensors

        tensors = load_tensors(folder / f"ckpt-{step:09d}" / "weights.safetensors")
        snapshots[step] = tensors["encoder.fc.weight"][1].clone()

    packed, results = _pack_losses(
        configs, data, checkpoint_dir=tmp_path, checkpoint_every=6, on_checkpoint=snapshot
    )
    failure = results[1].failure
    assert results[1].model is None and failure is not None
    assert failure.step == 5 and len(packed[1]) == 5
    assert failure.last_finite == packed[1][-1] and not np.isfinite(failure.values["loss"])
    assert torch.equal(snapshots[6], snapshots[10]), "a frozen member's weights must not change"
    # Bit for bit what the same pack computes without the fault, and what its solo run computes.
    clean, clean_results = _pack_losses(configs)
    for k in (0, 2):
        assert packed[k] == clean[k]
        for name, value in _encoder_weights(clean_results[k].model).items():
            assert torch.equal(results[k].model.encoder.state_dict()[name], value), name
        solo, _ = _solo_losses(configs[k])
        assert packed[k] == solo, k


def test_solo_divergence_still_raises():
    from disentbench.models import TrainingDiverged

    config = _configs("beta_vae", 8)[0]
    with pytest.raises(TrainingDiverged) as info:
        train(config, _NaNForMember(member=0, step=2, size=1))
    assert info.value.step == 2 and info.value.last_finite is not None


def test_precision_is_applied_and_recorded():
    """On a CPU ``tf32`` is ``fp32`` (TF32 is a CUDA mode); ``bf16`` autocasts the forward pass."""

    def switches():
        return (
            torch.backends.cudnn.conv.fp32_precision,
            torch.backends.cuda.matmul.fp32_precision,
        )

    before = switches()
    runs = {}
    for precision in ("fp32", "tf32", "bf16"):
        config = _configs("beta_vae", 3, precision=precision)[0]
        runs[precision] = _solo_losses(config)
        assert runs[precision][1].training_stats["precision"] == precision
        assert runs[precision][1].config.to_dict()["precision"] == precision
    assert runs["tf32"][0] == runs["fp32"][0]
    assert runs["bf16"][0] != runs["fp32"][0]
    _assert_close(runs["bf16"][0], runs["fp32"][0], 1e-2)
    assert switches() == before, "the global TF32 switches are restored after training"
