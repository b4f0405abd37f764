"""Saved models and representation functions (docs/reference/models.md §2.12)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from disentbench.errors import DataFileError, UserError
from disentbench.models import TrainConfig, TrainedModel, train


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    from disentbench.datasets.squares import SquaresData

    torch.set_num_threads(1)
    config = TrainConfig(
        dataset="synthetic_squares",
        method="beta_tc_vae",
        params={"beta": 2},
        steps=3,
        batch_size=8,
        eval_batches=1,
        device="cpu",
    )
    return train(config, SquaresData())


@pytest.fixture
def images(squares) -> np.ndarray:
    return squares.sample_observations(10, np.random.RandomState(1))


def test_mean_representation_is_the_encoder_mean(model, images):
    rep = model.representation_function("mean", batch_size=3)
    codes = rep(images)
    assert codes.shape == (10, 10) and codes.dtype == np.float32
    with torch.no_grad():
        mean, _ = model.encoder(torch.from_numpy(images))
    np.testing.assert_allclose(codes, mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(rep(images), codes)


def test_sampled_representation_is_seeded_and_fresh_per_call(model, images):
    a = model.representation_function("sampled", seed=5)
    b = model.representation_function("sampled", seed=5)
    first = a(images)
    np.testing.assert_array_equal(first, b(images))
    assert not np.array_equal(first, a(images)), "fresh noise on every call"
    mean, logvar = model.encode(images)
    eps = (first - mean) / np.exp(0.5 * logvar)
    assert 0.3 < eps.std() < 3.0
    with pytest.raises(UserError, match="representation: expected one of mean, sampled"):
        model.representation_function("median")


def test_bad_observation_shape(model):
    with pytest.raises(UserError, match=r"observations: expected shape \(n, 1, 64, 64\)"):
        model.representation_function()(np.zeros((2, 64, 64, 1), np.float32))


def test_decode(model):
    z = np.zeros((4, 10), np.float32)
    logits = model.decode(z)
    probs = model.decode(z, probabilities=True)
    assert logits.shape == (4, 1, 64, 64)
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(-logits)), rtol=1e-5)
    with pytest.raises(UserError, match="z: expected shape"):
        model.decode(np.zeros((4, 3)))


def test_save_and_load_round_trip(model, images, tmp_path):
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json",
        "model.json",
        "training_stats.json",
        "weights.safetensors",
    ]
    loaded = TrainedModel.load(tmp_path / "m")
    assert loaded.config == model.config
    assert loaded.training_stats == json.loads(json.dumps(model.training_stats))
    np.testing.assert_array_equal(
        loaded.representation_function()(images), model.representation_function()(images)
    )
    np.testing.assert_array_equal(loaded.decode(np.ones((2, 10))), model.decode(np.ones((2, 10))))


def test_load_validates_files(model, tmp_path):
    path = model.save(tmp_path / "m")
    with pytest.raises(DataFileError, match=r"model\.json: missing"):
        TrainedModel.load(tmp_path / "nothing")

    tensors = load_file(str(path / "weights.safetensors"))
    tensors["encoder.fc.weight"] = torch.zeros(128, 1024)
    save_file(tensors, str(path / "weights.safetensors"))
    with pytest.raises(
        DataFileError, match=r"encoder.fc.weight has shape \(128, 1024\), expected \(256, 1024\)"
    ):
        TrainedModel.load(path)

    del tensors["encoder.fc.weight"]
    save_file(tensors, str(path / "weights.safetensors"))
    with pytest.raises(DataFileError, match=r"missing tensor encoder\.fc\.weight"):
        TrainedModel.load(path)

    model.save(path)
    config = json.loads((path / "config.json").read_text())
    config["method"] = "vae"
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(DataFileError, match=r"config\.json: method: unknown method 'vae'"):
        TrainedModel.load(path)

    (path / "weights.safetensors").write_bytes(b"not a safetensors file")
    model.save(path)  # overwrites every file atomically
    TrainedModel.load(path)
    (path / "weights.safetensors").write_bytes(b"junk")
    with pytest.raises(DataFileError, match="cannot read safetensors"):
        TrainedModel.load(path)
