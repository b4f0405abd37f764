"""Shared fixtures: evaluations in the reference's aggregated-results format (dlib_aggregate_results)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

MEAN, SAMPLED = "@mean_representation", "@sampled_representation"


def _evaluation(model: dict, post: str, fn: str, results: dict, predictor: str | None = None) -> dict:
    """One row as the reference aggregates it: namespaced gin bindings (quoted strings) and results."""
    row = {f"train_config.{k}": v for k, v in model.items()}
    row.update({
        "train_config.model.model": "@vae()",
        "train_results.reconstruction_loss": 30.5, "train_results.kl_loss": 12.25,
        "train_results.elbo": 42.75,
        "train_results.elapsed_time": 100.0, "train_results.uuid": "abc",
        "postprocess_config.postprocess.postprocess_fn": post, "postprocess_config.dataset.name": "'auto'",
        "evaluation_config.evaluation.evaluation_fn": fn, "evaluation_config.evaluation.random_seed": 0,
        "evaluation_config.dataset.name": "'auto'",
        "evaluation_results.elapsed_time": 2.0, "evaluation_results.uuid": "xyz",
    })  # fmt: skip
    if predictor:
        row["evaluation_config.predictor.predictor_fn"] = predictor
    row.update({f"evaluation_results.{k}": v for k, v in results.items()})
    return row


BETA = {"model.name": "'beta_vae'", "dataset.name": "'dsprites_full'", "model.random_seed": 3,
        "vae.beta": 4.0, "model.training_steps": 300000, "model.batch_size": 64}  # fmt: skip
DIP = {"model.name": "'dip_vae'", "dip_vae.dip_type": "'ii'", "dip_vae.lambda_od": "10.0",
       "dip_vae.lambda_d_factor": 1.0, "dataset.name": "'dsprites_full'",
       "model.random_seed": "0"}  # fmt: skip
UNKNOWN = {"model.name": "'my_vae'", "dataset.name": "'cars3d'", "model.random_seed": 1}


@pytest.fixture
def reference_rows() -> list[dict]:
    """Nine evaluations in the reference's aggregated format: two models, and one unknown model last."""
    down = {f"{n}:mean_test_accuracy": 0.1 * i for i, n in enumerate((10, 100, 1000, 10000), start=1)}
    return [
        _evaluation(BETA, MEAN, "@mig", {"discrete_mig": 0.25}),
        _evaluation(BETA, SAMPLED, "@mig", {"discrete_mig": 0.05}),
        _evaluation(BETA, MEAN, "@beta_vae_sklearn", {"train_accuracy": 0.9, "eval_accuracy": 0.875}),
        _evaluation(BETA, MEAN, "@downstream_task", down, predictor="@logistic_regression_cv"),
        _evaluation(BETA, MEAN, "@downstream_task", down, predictor="@gradient_boosting_classifier"),
        _evaluation(BETA, SAMPLED, "@unsupervised_metrics", {"gaussian_total_correlation": 0.5}),
        _evaluation(DIP, MEAN, "@factor_vae_score", {"eval_accuracy": 0.7, "num_active_dims": 9}),
        _evaluation(DIP, MEAN, "@sap_score", {"SAP_score": 0.125}),
        _evaluation(UNKNOWN, MEAN, "@mig", {"discrete_mig": 0.5}),
    ]


@pytest.fixture
def one_model_file(tmp_path: Path) -> Callable[..., Path]:
    """Writes a file (records orientation) of one β-VAE evaluation, ``train_config`` values overridden.

    ``one_model_file(**{"dataset.name": "x"})`` → the path of ``tmp_path/input/one_model.json``.
    """

    def write(**train: object) -> Path:
        row = _evaluation({**BETA, **train}, MEAN, "@mig", {"discrete_mig": 0.25})
        path = tmp_path / "input" / "one_model.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps([row]), encoding="utf-8")
        return path

    return write
