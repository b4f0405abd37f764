"""evaluate(): every key, the reference's seeds, meta data, failures that do not stop the rest."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sklearn
from _representations import REPRESENTATIONS

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.errors import UserError
from disentbench.metrics import METRIC_NAMES, STUDY_METRICS, compute_mig, evaluate, metric_seeds_for
from disentbench.metrics.presets import Preset

DATA = IdentityObservationsData()

#: Study seeds of docs/reference/study.md §3.2 (config order: beta_vae_sklearn, dci, downstream boosted trees,
#: downstream logistic regression, factor_vae_metric, mig, modularity_explicitness, sap, unsupervised).
STUDY_SEEDS = {
    "mean": {
        "beta_vae": 3071714933,
        "dci": 3626093760,
        "downstream_boosted_trees": 2588848963,
        "downstream_logistic_regression": 3684848379,
        "factor_vae": 2340255427,
        "mig": 3638918503,
        "modularity_explicitness": 1819583497,
        "sap": 2678185683,
        "unsupervised": 2774094101,
    },
    "sampled": {
        "beta_vae": 1650906866,
        "dci": 1879422756,
        "downstream_boosted_trees": 1277901399,
        "downstream_logistic_regression": 3830135878,
        "factor_vae": 243580376,
        "mig": 4138900056,
        "modularity_explicitness": 1171049868,
        "sap": 1646868794,
        "unsupervised": 2051556033,
    },
}

TINY = Preset(
    name="tiny",
    notes="test sizes",
    params={
        "beta_vae": {"num_train": 40, "num_eval": 40, "batch_size": 8},
        "factor_vae": {"num_train": 40, "num_eval": 40, "num_variance_estimate": 200, "batch_size": 8},
        "mig": {"num_train": 300},
        "dci": {"num_train": 150, "num_test": 60, "estimator_params": {"n_estimators": 2}},
        "sap": {"num_train": 150, "num_test": 60},
        "modularity_explicitness": {"num_train": 300, "num_test": 200},
        "unsupervised": {"num_train": 300},
        "downstream_logistic_regression": {
            "predictor": "logistic_regression_cv",
            "num_train": [30, 60],
            "num_test": 40,
            "estimator_params": {"Cs": [1.0], "cv": 2},
        },
        "downstream_boosted_trees": {
            "predictor": "gradient_boosting",
            "num_train": [30, 60],
            "num_test": 40,
            "estimator_params": {"n_estimators": 2},
        },
        "irs": {"num_train": 300},
    },
)


def _noisy_identity(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x + 0.01 * np.sin(np.arange(x.size).reshape(x.shape))


def test_study_seeds_are_the_references():
    seeds = metric_seeds_for(0)
    for rep in ("mean", "sampled"):
        assert {m: seeds[rep][m] for m in STUDY_METRICS} == STUDY_SEEDS[rep]


def test_every_key_meta_and_progress():
    calls = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = evaluate(
            DATA,
            _noisy_identity,
            preset=TINY,
            metrics=list(METRIC_NAMES),
            progress=lambda *a: calls.append(a),
        )
    expected = {
        "beta_vae.eval_accuracy",
        "factor_vae.eval_accuracy",
        "factor_vae.num_active_dims",
        "mig.discrete_mig",
        "dci.disentanglement",
        "dci.completeness",
        "dci.informativeness_train",
        "dci.informativeness_test",
        "sap.SAP_score",
        "modularity_explicitness.modularity_score",
        "modularity_explicitness.explicitness_score_test",
        "unsupervised.gaussian_total_correlation",
        "unsupervised.mutual_info_score",
        "downstream_logistic_regression.30:mean_test_accuracy",
        "downstream_logistic_regression.60:test_accuracy_factor_9",
        "downstream_boosted_trees.60:mean_test_accuracy",
        "irs.IRS",
    }
    assert expected <= set(out)
    assert not [k for k in out if k.startswith("error.")]
    assert out["meta.preset"] == "tiny"
    assert out["meta.sklearn_semantics"] == "modern"
    assert out["meta.sklearn_version"] == sklearn.__version__
    assert out["meta.representation"] == "mean"
    for m in STUDY_METRICS:
        assert out[f"meta.seed.{m}"] == STUDY_SEEDS["mean"][m]
        assert out[f"time.{m}"] >= 0.0
    assert "meta.estimator.dci" in out
    events = [c[0] for c in calls]
    assert [e.metric for e in events if e.event == "start"] == list(METRIC_NAMES)
    assert [e.metric for e in events if e.event == "done"] == list(METRIC_NAMES)
    assert (events[-1].index, events[-1].total) == (len(METRIC_NAMES), len(METRIC_NAMES))
    blocks = [e for e in events if e.event == "block"]
    assert blocks and all(e.encoded > 0 for e in blocks)
    assert isinstance(out["meta.convergence_warnings"], int)
    assert all(isinstance(v, (float, int, str)) for v in out.values())


def test_uses_the_reference_seed_of_the_representation():
    rep = REPRESENTATIONS["mixed"]
    for kind in ("mean", "sampled"):
        out = evaluate(DATA, rep, preset=TINY, metrics=["mig"], representation=kind)
        seed = STUDY_SEEDS[kind]["mig"]
        expected = compute_mig(DATA, rep, np.random.RandomState(seed), num_train=300)
        assert out["mig.discrete_mig"] == expected["discrete_mig"]
        assert out["meta.seed.mig"] == seed


def test_int_seed_policy():
    rep = REPRESENTATIONS["mixed"]
    zero = evaluate(DATA, rep, preset=TINY, metrics=["mig"], seeds=0)
    ref = evaluate(DATA, rep, preset=TINY, metrics=["mig"])
    other = evaluate(DATA, rep, preset=TINY, metrics=["mig"], seeds=7)
    assert zero["mig.discrete_mig"] == ref["mig.discrete_mig"]
    assert other["meta.seed.mig"] == metric_seeds_for(7)["mean"]["mig"] != ref["meta.seed.mig"]
    custom = evaluate(DATA, rep, preset=TINY, metrics=["mig"], seeds={"mig": 5})
    assert custom["meta.seed.mig"] == 5 and custom["meta.seeds"] == "custom"


def test_constant_representation_survives():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = evaluate(DATA, REPRESENTATIONS["zeros"], preset=TINY, metrics=list(METRIC_NAMES))
    for m in METRIC_NAMES:
        assert f"time.{m}" in out
        assert any(k.startswith(f"{m}.") for k in out), m
    assert out["dci.disentanglement"] == pytest.approx(0.0, abs=1e-9)
    assert out["mig.discrete_mig"] == 0.0


def test_failing_score_is_nan_with_error_and_warning():
    broken = Preset(name="broken", notes="", params={**TINY.params, "mig": {"num_train": -1}})
    with pytest.warns(RuntimeWarning, match="score mig failed"):
        out = evaluate(DATA, _noisy_identity, preset=broken, metrics=["mig", "unsupervised"])
    assert math.isnan(out["mig.discrete_mig"])
    assert "num_points" in out["error.mig"]
    assert np.isfinite(out["unsupervised.mutual_info_score"])


def test_failing_downstream_reports_its_main_keys():
    broken = Preset(
        name="broken",
        notes="",
        params={
            "downstream_boosted_trees": {
                "predictor": "gradient_boosting",
                "num_train": [5, 9],
                "num_test": -1,
            }
        },
    )
    with pytest.warns(RuntimeWarning):
        out = evaluate(DATA, _noisy_identity, preset=broken, metrics=["downstream_boosted_trees"])
    assert math.isnan(out["downstream_boosted_trees.9:mean_test_accuracy"])
    assert "error.downstream_boosted_trees" in out


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metrics": ["mig", "nope"]}, "unknown metric"),
        ({"preset": "slow"}, "preset must be one of"),
        ({"representation": "median"}, "representation must be"),
        ({"sklearn_semantics": "2017"}, "sklearn_semantics"),
        ({"seeds": "random"}, "seeds must be"),
        ({"seeds": -1}, "non-negative"),
        ({"seeds": {"dci": 1}, "metrics": ["mig"]}, "no seed given for metric"),
    ],
)
def test_bad_arguments_raise_user_error(kwargs, match):
    with pytest.raises(UserError, match=match):
        evaluate(DATA, _noisy_identity, **kwargs)


def test_sklearn_2019_semantics_is_recorded_and_passed_on():
    kw = {"preset": TINY, "metrics": ["beta_vae"]}
    modern = evaluate(DATA, REPRESENTATIONS["mixed"], **kw)
    old = evaluate(DATA, REPRESENTATIONS["mixed"], sklearn_semantics="2019", **kw)
    assert old["meta.sklearn_semantics"] == "2019"
    assert np.isfinite(old["beta_vae.eval_accuracy"])
    # Paper-era liblinear draws once from the random state before the eval points are sampled.
    assert modern["beta_vae.eval_accuracy"] != old["beta_vae.eval_accuracy"]


def test_gbt_implementation_is_recorded_and_checked():
    out = evaluate(DATA, _noisy_identity, preset=TINY, metrics=["mig"], gbt_implementation="sklearn")
    assert out["meta.gbt_implementation"] == "sklearn"
    with pytest.raises(UserError, match="gbt_implementation"):
        evaluate(DATA, _noisy_identity, metrics=["mig"], gbt_implementation="lightgbm")
