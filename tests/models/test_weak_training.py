"""Training the weakly-supervised methods (docs/reference/weak.md §1–3): the trainer's first step is
the pair loss of the documented draws, packs equal solo runs, checkpoints resume exactly, and bad
inputs stop before training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from disentbench.datasets.base import GroundTruthData
from disentbench.datasets.pairs import draw_pair_batch, value_seed
from disentbench.datasets.squares import SquaresData
from disentbench.errors import UserError
from disentbench.models import TrainConfig, get_method, train, train_pack
from disentbench.models.data_stream import data_stream_seeds
from disentbench.models.losses import compute_pair_losses
from disentbench.models.methods import WEAK_METHODS
from disentbench.models.networks import build_networks


def _config(method: str = "ada_gvae", **overrides) -> TrainConfig:
    base = dict(
        dataset="synthetic_squares",
        method=method,
        params={"beta": 4, "k": -1},
        seed=3,
        steps=6,
        batch_size=8,
        log_every=1,
        eval_batches=2,
        device="cpu",
        prefetch=False,
    )
    base.update(overrides)
    return TrainConfig(**base)  # type: ignore[arg-type]


def _losses_per_step(configs: list[TrainConfig], data: GroundTruthData, **kwargs) -> list[list[dict]]:
    seen: list[list[dict]] = [[] for _ in configs]
    train_pack(configs, data, log_fn=lambda _s, k, v: seen[k].append(v), **kwargs)
    return seen


@pytest.mark.parametrize("method", WEAK_METHODS)
def test_first_step_is_the_pair_loss_of_the_documented_draws(method):
    """Step 1's loss = ½(R1+R2) + β·½(KL1+KL2) on the first pair batch of the model's own streams:
    pairs from RandomState(first draw of RandomState(seed)) with new values from its value seed,
    ε of image 1 then image 2 from the init generator after the weights (docs/reference/weak.md §1.1,
    §2.2, §2.3; docs/reference/models.md §2.11)."""
    data = SquaresData()
    config = _config(method, data_stream="per_observation")
    spec = get_method(method)
    generator = torch.Generator().manual_seed(config.seed)
    nets = build_networks(1, False, generator)
    for module in (nets.encoder, nets.decoder):  # the trainer's layout, so the float rounding is its own
        module.to(memory_format=torch.channels_last)
    train_seed = data_stream_seeds(config.seed)[0]
    x1, x2, labels = draw_pair_batch(
        data, 8, -1, np.random.RandomState(train_seed), np.random.RandomState(value_seed(train_seed))
    )
    pair = [torch.from_numpy(x).contiguous(memory_format=torch.channels_last) for x in (x1, x2)]
    eps = torch.stack([torch.randn((8, 10), generator=generator), torch.randn((8, 10), generator=generator)])

    def loss_with(noise: torch.Tensor):
        with torch.no_grad():
            return compute_pair_losses(
                spec, config.resolved_params, nets, pair, torch.from_numpy(labels), 0, None, noise
            )

    expected = loss_with(eps)
    first = _losses_per_step([config], data)[0][0]
    assert first["loss"] == float(expected.loss)
    assert first["reconstruction_loss"] == float(expected.reconstruction)
    assert first["kl_loss"] == float(expected.kl)
    # The check sees the noise order: ε of the two images swapped gives another loss.
    assert float(loss_with(eps.flip(0)).loss) != first["loss"]


@pytest.mark.parametrize("method", ["ada_ml_vae", "gvae"])
def test_packed_weak_models_train_as_their_solo_runs(method):
    """A pack of mixed β, k and seeds gives each model exactly its solo per-step losses (loop
    strategy), and the vmap strategy (the accelerators' path) the same up to float rounding."""
    data = SquaresData()
    members = [({"beta": 1, "k": 1}, 0), ({"beta": 4, "k": -1}, 5), ({"beta": 16, "k": 2}, 0)]
    configs = [_config(method, params=p, seed=s) for p, s in members]
    packed = _losses_per_step(configs, data)
    for k, config in enumerate(configs):
        assert packed[k] == _losses_per_step([config], data)[0], k
    vmapped = _losses_per_step(configs, data, strategy="vmap")
    for k in range(len(configs)):
        for a, b in zip(packed[k], vmapped[k], strict=True):
            for key in a:
                assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-6), (k, key)
    # Different k draw different pairs: the same seed and β with another k trains differently.
    other_k = _losses_per_step([_config(method, params={"beta": 1, "k": 2}, seed=0)], data)[0]
    assert other_k != packed[0]


def test_weak_checkpoint_resumes_bit_identically(tmp_path):
    """Both random streams of the pairs (factors and new values) are checkpointed."""
    data = SquaresData()
    config = _config("gvae", steps=8, prefetch=True)
    straight = train(config, data)

    class Crash(Exception):
        pass

    def crash_at_4(step, _directory):
        if step == 4:
            raise Crash

    with pytest.raises(Crash):
        train(config, data, checkpoint_dir=tmp_path, checkpoint_every=4, on_checkpoint=crash_at_4)
    resumed = train(config, data, checkpoint_dir=tmp_path, checkpoint_every=4)
    assert resumed.training_stats["resumed_from_step"] == 4
    for a, b in zip(straight.encoder.parameters(), resumed.encoder.parameters(), strict=True):
        assert torch.equal(a, b)
    for key in ("reconstruction_loss", "kl_loss", "regularizer", "loss", "elbo"):
        assert straight.training_stats[key] == resumed.training_stats[key]
    # A weak model sees two images per pair.
    stats = straight.training_stats
    assert stats["images_per_second"] == pytest.approx(2 * 8 * stats["steps_per_second"])


class _Factors(GroundTruthData):
    """Blank images with ``n`` factors of 3 values (for the data-set checks)."""

    def __init__(self, n: int):
        self.n = n

    @property
    def factor_names(self) -> list[str]:
        return [f"f{i}" for i in range(self.n)]

    @property
    def factors_num_values(self) -> list[int]:
        return [3] * self.n

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (1, 64, 64)

    def sample_observations_from_factors(self, factors, random_state):
        return np.zeros((len(factors), 1, 64, 64), dtype=np.float32)


@pytest.mark.parametrize(
    ("data", "method", "params", "message"),
    [
        (
            SquaresData(),
            "ada_gvae",
            {"beta": 1, "k": 4},
            r"data set 'synthetic_squares': k: expected -1 .* 1 … 3",
        ),
        (SquaresData(), "ada_gvae", {"beta": 1, "k": 0}, r"k: expected -1 \(random\) or 1 … 3"),
        (_Factors(1), "ada_gvae", {"beta": 1, "k": 1}, "at least 2 latent factors, this one has 1"),
        (_Factors(11), "gvae", {"beta": 1, "k": 1}, "labels aggregation maps factor i to code dimension i"),
    ],
)
def test_bad_pair_settings_stop_before_training(data, method, params, message, monkeypatch):
    """k out of range, a one-factor data set, labels that have no code dimension: a named error
    before the first iteration."""
    from disentbench.models import pack_trainer

    def no_iteration(*_args, **_kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(pack_trainer._Pack, "iterate", no_iteration)
    with pytest.raises(UserError, match=message):
        train(_config(method, params=params), data)


def test_argmax_variants_train_on_eleven_factors():
    """The adaptive variants ignore the labels, so more factors than code dimensions is fine."""
    model = train(_config("ada_gvae", params={"beta": 1, "k": 1}, steps=2, eval_batches=1), _Factors(11))
    assert np.isfinite(model.training_stats["loss"])
