"""Presets: the registry, that paper is the study's defaults, that every parameter is accepted."""

from __future__ import annotations

import inspect

import pytest

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.errors import UserError
from disentbench.metrics import METRICS, PRESETS, evaluate, get_preset
from disentbench.metrics.evaluate import _estimator_note


def test_registry_and_lookup():
    assert set(PRESETS) == {"paper", "fast", "smoke"}
    assert get_preset("fast") is PRESETS["fast"]
    assert get_preset(PRESETS["paper"]) is PRESETS["paper"]
    with pytest.raises(UserError, match="preset must be one of paper, fast, smoke"):
        get_preset("quick")


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_parameter_is_accepted_by_its_score(name):
    preset = PRESETS[name]
    assert set(preset.params) <= set(METRICS)
    for metric, params in preset.params.items():
        signature = inspect.signature(METRICS[metric].compute)
        signature.bind(None, None, None, **params)  # raises TypeError on an unknown name


def test_paper_is_the_study_defaults():
    """Paper changes nothing but picks each downstream config's predictor."""
    paper = PRESETS["paper"]
    for metric in METRICS:
        params = paper.params_for(metric)
        assert set(params) <= {"predictor"}, metric
    assert paper.params_for("downstream_logistic_regression") == {"predictor": "logistic_regression_cv"}
    assert paper.params_for("downstream_boosted_trees") == {"predictor": "gradient_boosting"}
    dci_defaults = inspect.signature(METRICS["dci"].compute).parameters
    assert (dci_defaults["num_train"].default, dci_defaults["num_test"].default) == (10000, 5000)


def test_fast_states_its_choices_in_the_output():
    out = evaluate(IdentityObservationsData(), lambda x: x * 1.0, preset="fast", metrics=["mig"])
    assert out["meta.preset"] == "fast"
    assert "GradientBoostingClassifier(n_estimators=20)" in out["meta.preset_notes"]
    assert out["meta.gbt_implementation"] == "disentbench"


def test_smoke_says_it_is_for_pipeline_checks_and_still_scores_the_identity_near_one():
    """Few points, but each score's whole code path: the identity is still disentangled."""
    metrics = ["beta_vae", "factor_vae", "mig", "dci", "sap", "irs"]
    out = evaluate(IdentityObservationsData(), lambda x: x * 1.0, preset="smoke", metrics=metrics)
    assert out["meta.preset"] == "smoke"
    assert out["meta.preset_notes"].startswith("pipeline checks, not numbers")
    assert not [key for key in out if key.startswith("error.")]
    assert out["beta_vae.eval_accuracy"] == out["factor_vae.eval_accuracy"] == 1.0
    assert out["mig.discrete_mig"] > 0.9 and out["dci.disentanglement"] > 0.99
    assert out["irs.IRS"] > 0.9 and 0.0 <= out["sap.SAP_score"] <= 1.0


def test_params_for_returns_a_copy():
    params = PRESETS["fast"].params_for("dci")
    params["num_train"] = 1
    assert PRESETS["fast"].params_for("dci")["num_train"] == 2000


def test_fast_records_which_boosted_trees_fits_changed():
    params = PRESETS["fast"].params_for("downstream_boosted_trees")
    note = _estimator_note("downstream_boosted_trees", params)
    assert note == "GradientBoostingClassifier(n_estimators=20) for training sizes >= 10000"
