"""TrainConfig validation, serialisation and the FactorVAE iteration count (docs/reference/models.md
§2.9–2.11)."""

from __future__ import annotations

import json

import pytest

from disentbench.errors import UserError
from disentbench.models import TrainConfig


def test_defaults_are_the_reference_settings():
    c = TrainConfig(dataset="dsprites_full", method="beta_vae").validate()
    assert (c.batch_size, c.steps, c.learning_rate, c.adam_beta1, c.adam_beta2, c.adam_epsilon) == (
        64,
        300_000,
        1e-4,
        0.9,
        0.999,
        1e-8,
    )
    assert (c.discriminator_learning_rate, c.discriminator_beta1, c.discriminator_beta2) == (1e-4, 0.5, 0.9)
    assert c.eval_batches == 1000 and c.factor_vae_reference_steps is True


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("method", "vae", "method: unknown method"),
        ("seed", -1, "seed: expected an integer"),
        ("steps", 0, "steps: expected an integer"),
        ("steps", 1.5, "steps: expected an integer"),
        ("batch_size", True, "batch_size: expected an integer"),
        ("learning_rate", 0, "learning_rate: expected a positive number"),
        ("adam_beta2", 1.0, r"adam_beta2: expected a number in \[0, 1\)"),
        ("device", "tpu", "device: expected"),
        ("num_threads", 0, "num_threads: expected an integer"),
        ("data_stream", "epochs", "data_stream: expected one of batched, per_observation"),
        ("params", {"beta": "x"}, r"params\.beta"),
        ("factor_vae_reference_steps", "yes", "factor_vae_reference_steps: expected true or false"),
        ("dataset", "", "dataset: expected"),
    ],
)
def test_validation_names_the_field(field, value, message):
    config = TrainConfig(dataset="dsprites_full", method="beta_vae")
    setattr(config, field, value)
    with pytest.raises(UserError, match=message):
        config.validate()


def test_round_trip_through_json():
    c = TrainConfig(dataset="shapes3d", method="annealed_vae", params={"c_max": 50}, seed=7, steps=123)
    data = json.loads(json.dumps(c.to_dict()))
    assert data["resolved_params"] == {"c_max": 50.0, "gamma": 1000.0, "iteration_threshold": 100_000}
    assert data["num_iterations"] == 123
    assert TrainConfig.from_dict(data) == c


def test_from_dict_rejects_unknown_and_missing_fields():
    with pytest.raises(UserError, match=r"unknown field.*colour"):
        TrainConfig.from_dict({"dataset": "d", "method": "beta_vae", "colour": 1})
    with pytest.raises(UserError, match=r"missing field.*method"):
        TrainConfig.from_dict({"dataset": "d"})


@pytest.mark.parametrize(("steps", "iterations"), [(100, 51), (300_000, 150_001), (1, 1), (2, 2), (5, 3)])
def test_factor_vae_reference_iteration_count(steps, iterations):
    c = TrainConfig(dataset="d", method="factor_vae", steps=steps)
    assert c.num_iterations == iterations
    c.factor_vae_reference_steps = False
    assert c.num_iterations == steps
    assert TrainConfig(dataset="d", method="beta_vae", steps=steps).num_iterations == steps
