"""The trainer: seeds, determinism, FactorVAE's two updates, checkpoints, divergence (docs/reference/models.md
§2.9–2.11)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from disentbench.datasets.squares import SquaresData
from disentbench.errors import UserError
from disentbench.models import TrainConfig, TrainingDiverged, get_method, objectives, train
from disentbench.models.adam import make_adam
from disentbench.models.networks import build_networks
from disentbench.models.trainer import compute_losses, derive_seeds, factor_vae_gradients


def _config(method="beta_vae", **overrides):
    base = dict(
        dataset="synthetic_squares",
        method=method,
        seed=3,
        steps=6,
        batch_size=8,
        log_every=1,
        eval_batches=2,
        device="cpu",
        num_threads=1,
    )
    base.update(overrides)
    return TrainConfig(**base)


def _collect():
    seen: list[tuple[int, dict[str, float]]] = []
    return seen, lambda step, values: seen.append((step, values))


def _weights(model):
    return {f"e.{k}": v.clone() for k, v in model.encoder.state_dict().items()} | {
        f"d.{k}": v.clone() for k, v in model.decoder.state_dict().items()
    }


def test_derive_seeds_matches_the_reference():
    assert derive_seeds(0) == (2357136044, 2546248239)
    assert derive_seeds(1) == (1791095845, 4282876139)


@pytest.mark.parametrize("method", ["beta_vae", "factor_vae"])
def test_same_seed_gives_identical_losses(squares, method):
    seen_a, log_a = _collect()
    seen_b, log_b = _collect()
    seen_c, log_c = _collect()
    a = train(_config(method), squares, log=log_a)
    train(_config(method), squares, log=log_b)
    train(_config(method, seed=4), squares, log=log_c)
    assert seen_a == seen_b
    assert len(seen_a) == _config(method).num_iterations
    assert seen_a != seen_c
    assert a.training_stats["train_data_seed"] == derive_seeds(3)[0]
    assert set(a.training_stats) >= {"reconstruction_loss", "kl_loss", "elbo", "regularizer", "loss"}


@pytest.mark.parametrize(
    ("method", "overrides"),
    [
        ("beta_vae", {"prefetch": True}),
        ("factor_vae", {"prefetch": False, "data_stream": "per_observation"}),
        ("annealed_vae", {"prefetch": True, "params": {"c_max": 5, "iteration_threshold": 4}}),
    ],
)
def test_checkpoint_resume_gives_the_same_final_weights(squares, tmp_path, method, overrides):
    steps = 14 if method == "factor_vae" else 8  # FactorVAE runs ⌈(14 + 1)/2⌉ = 8 iterations
    config = _config(method, steps=steps, **overrides)
    straight = train(config, squares)

    class Crash(Exception):
        pass

    written = []

    def crash_at_4(step, directory):
        written.append(step)
        assert (directory / "latest.json").is_file()
        if step == 4:
            raise Crash

    with pytest.raises(Crash):
        train(config, squares, checkpoint_dir=tmp_path, checkpoint_every=4, on_checkpoint=crash_at_4)
    assert json.loads((tmp_path / "latest.json").read_text())["step"] == 4
    resumed = train(config, squares, checkpoint_dir=tmp_path, checkpoint_every=4, on_checkpoint=crash_at_4)
    assert written == [4, 8]
    assert resumed.training_stats["resumed_from_step"] == 4
    a, b = _weights(straight), _weights(resumed)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    for key in ("reconstruction_loss", "kl_loss", "regularizer", "loss"):
        assert straight.training_stats[key] == resumed.training_stats[key]
    # Only the last checkpoint is kept, as plain files.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-000000008", "latest.json"]
    assert sorted(p.name for p in (tmp_path / "ckpt-000000008").iterdir()) == [
        "config.json",
        "manifest.json",
        "trainer_state.pt",
        "weights.safetensors",
    ]


def test_resume_refuses_a_different_run(squares, tmp_path):
    train(_config(steps=2), squares, checkpoint_dir=tmp_path)
    with pytest.raises(UserError, match="seed"):
        train(_config(steps=4, seed=9), squares, checkpoint_dir=tmp_path)
    with pytest.raises(UserError, match="params"):
        train(_config(steps=4, params={"beta": 4}), squares, checkpoint_dir=tmp_path)


class _NaNAfter(SquaresData):
    """Squares whose ``bad_batch``-th batch (0-based) is NaN."""

    def __init__(self, bad_batch: int):
        super().__init__()
        self.calls = 0
        self.bad_batch = bad_batch

    def sample_observations_from_factors(self, factors, random_state):
        images = super().sample_observations_from_factors(factors, random_state)
        self.calls += 1
        if self.calls == self.bad_batch + 1:
            images[:] = np.nan
        return images


def test_planted_divergence_raises_training_diverged():
    with pytest.raises(TrainingDiverged) as info:
        train(_config(steps=10, prefetch=False), _NaNAfter(bad_batch=3))
    err = info.value
    assert err.step == 3
    assert err.last_finite is not None and np.isfinite(err.last_finite["loss"])
    assert not np.isfinite(err.values["loss"])
    assert "iteration 3" in str(err) and "last finite values: loss=" in str(err)


def test_factor_vae_updates_are_separated(squares):
    """∇L_VAE reaches only the encoder/decoder, ∇L_D only the discriminator (§2.9)."""
    config = _config("factor_vae", params={"gamma": 30})
    generator = torch.Generator().manual_seed(config.seed)
    nets = build_networks(1, True, generator)
    spec, params = get_method("factor_vae"), config.resolved_params
    vae_optimizer = make_adam(nets.vae_parameters(), 1e-4, (0.9, 0.999), 1e-8)
    disc_optimizer = make_adam(list(nets.discriminator.parameters()), 1e-4, (0.5, 0.9), 1e-8)
    x = torch.from_numpy(squares.sample_observations(8, np.random.RandomState(0)))
    gen_state = generator.get_state()
    losses = compute_losses(spec, params, nets, x, 0, generator)
    vae_grads, disc_grads, disc_loss = factor_vae_gradients(losses, nets, generator)

    # Expected gradients, each from its own loss only.
    generator.set_state(gen_state)
    again = compute_losses(spec, params, nets, x, 0, generator)
    shuffled = objectives.shuffle_codes(again.outputs.z.detach(), generator)
    again_disc = objectives.discriminator_loss(
        again.outputs.discriminator_logits, nets.discriminator(shuffled)
    )
    assert again_disc.item() == disc_loss.item()
    expected_vae = torch.autograd.grad(again.loss, nets.vae_parameters(), retain_graph=True)
    disc_params = list(nets.discriminator.parameters())
    expected_disc = torch.autograd.grad(again_disc, disc_params, retain_graph=True)
    for got, want in zip(vae_grads, expected_vae, strict=True):
        assert torch.allclose(got, want)
    for got, want in zip(disc_grads, expected_disc, strict=True):
        assert torch.allclose(got, want)
    # A naive joint backward would leak L_D into the encoder: the separation is observable.
    leaked = torch.autograd.grad(again.loss + again_disc, nets.vae_parameters()[:1], allow_unused=True)[0]
    assert not torch.allclose(leaked, expected_vae[0])

    # Applying the VAE step leaves the discriminator untouched, and vice versa.
    before_disc = [p.detach().clone() for p in disc_params]
    before_vae = [p.detach().clone() for p in nets.vae_parameters()]
    for p, g in zip(nets.vae_parameters(), vae_grads, strict=True):
        p.grad = g
    vae_optimizer.step()
    assert all(torch.equal(a, p) for a, p in zip(before_disc, disc_params, strict=True))
    assert not all(torch.equal(a, p) for a, p in zip(before_vae, nets.vae_parameters(), strict=True))
    after_vae = [p.detach().clone() for p in nets.vae_parameters()]
    grads_before = [p.grad.clone() for p in nets.vae_parameters()]
    for p, g in zip(disc_params, disc_grads, strict=True):
        p.grad = g
    disc_optimizer.step()
    assert all(torch.equal(a, p) for a, p in zip(after_vae, nets.vae_parameters(), strict=True))
    assert all(torch.equal(a, p.grad) for a, p in zip(grads_before, nets.vae_parameters(), strict=True))
    assert not all(torch.equal(a, p) for a, p in zip(before_disc, disc_params, strict=True))
    # The optimisers own disjoint parameter sets.
    vae_ids = {id(p) for g in vae_optimizer.param_groups for p in g["params"]}
    assert not vae_ids & {id(p) for p in disc_params}
    assert disc_optimizer.defaults["betas"] == (0.5, 0.9)


def test_bad_data_shape_is_a_user_error():
    class Tiny(SquaresData):
        @property
        def observation_shape(self):
            return (1, 32, 32)

    with pytest.raises(UserError, match=r"expected observations \(C, 64, 64\)"):
        train(_config(), Tiny())


def test_unsupervised_scores_are_consistent(squares):
    model = train(_config("dip_vae_i", params={"lambda_od": 2}), squares)
    s = model.training_stats
    assert s["loss"] == pytest.approx(s["reconstruction_loss"] + s["regularizer"])
    assert s["elbo"] == pytest.approx(-(s["reconstruction_loss"] + s["kl_loss"]))
    assert s["regularizer"] > s["kl_loss"] > 0
    assert s["eval_data_seed"] == derive_seeds(3)[1] and s["eval_batches"] == 2
