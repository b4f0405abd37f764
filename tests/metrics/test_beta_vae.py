"""BetaVAE score (docs/reference/metrics.md §2): reference oracle, draw order, batching, sklearn semantics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _representations import REPRESENTATIONS

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.metrics.beta_vae import compute_beta_vae, generate_training_batch

DATA = IdentityObservationsData()


def _reference_points(data, fn, batch_size, num_points, rs):
    """The reference's per-point loop: two representation calls per point."""
    feats, labels = [], []
    for _ in range(num_points):
        index = rs.randint(low=0, high=data.num_factors)
        f1 = data.sample_factors(batch_size, rs)
        f2 = data.sample_factors(batch_size, rs)
        f2[:, index] = f1[:, index]
        x1 = data.sample_observations_from_factors(f1, rs)
        x2 = data.sample_observations_from_factors(f2, rs)
        feats.append(np.mean(np.abs(fn(x1) - fn(x2)), axis=0))
        labels.append(index)
    return np.array(feats), np.array(labels)


@pytest.mark.parametrize("points_per_call", [1, 7, 16])
def test_batched_sampling_equals_reference_loop(points_per_call: int) -> None:
    rep = REPRESENTATIONS["mixed"]
    x, y = generate_training_batch(DATA, rep, 64, 40, np.random.RandomState(0), points_per_call)
    xr, yr = _reference_points(DATA, rep, 64, 40, np.random.RandomState(0))
    np.testing.assert_array_equal(y, yr)
    np.testing.assert_array_equal(x, xr)


def test_reference_oracle_identity() -> None:
    out = compute_beta_vae(
        DATA,
        REPRESENTATIONS["identity"],
        np.random.RandomState(0),
        batch_size=5,
        num_train=2000,
        num_eval=2000,
    )
    assert 0.9 <= out["train_accuracy"] <= 1.0
    assert 0.9 <= out["eval_accuracy"] <= 1.0


def test_zeros_scores_chance() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = compute_beta_vae(
            DATA,
            REPRESENTATIONS["zeros"],
            np.random.RandomState(0),
            batch_size=5,
            num_train=500,
            num_eval=500,
        )
    assert out["eval_accuracy"] < 0.2


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_2019_semantics_consumes_one_draw_before_evaluation() -> None:
    kwargs = dict(batch_size=8, num_train=300, num_eval=300)
    modern = compute_beta_vae(DATA, REPRESENTATIONS["mixed"], np.random.RandomState(0), **kwargs)
    old = compute_beta_vae(
        DATA, REPRESENTATIONS["mixed"], np.random.RandomState(0), sklearn_semantics="2019", **kwargs
    )
    assert set(old) == {"train_accuracy", "eval_accuracy"}
    ident = compute_beta_vae(
        DATA, REPRESENTATIONS["identity"], np.random.RandomState(0), sklearn_semantics="2019", **kwargs
    )
    assert ident["eval_accuracy"] > 0.95
    # Same training set, so a mismatch can only come from the classifier or the shifted eval set.
    rs = np.random.RandomState(0)
    generate_training_batch(DATA, REPRESENTATIONS["mixed"], 8, 300, rs)
    rs.randint(np.iinfo(np.int32).max)  # the paper-era liblinear draw
    ev_x, _ = generate_training_batch(DATA, REPRESENTATIONS["mixed"], 8, 300, rs)
    rs2 = np.random.RandomState(0)
    generate_training_batch(DATA, REPRESENTATIONS["mixed"], 8, 300, rs2)
    ev_x_modern, _ = generate_training_batch(DATA, REPRESENTATIONS["mixed"], 8, 300, rs2)
    assert not np.array_equal(ev_x, ev_x_modern)
    assert modern != old


def test_bad_semantics() -> None:
    with pytest.raises(ValueError, match="sklearn_semantics"):
        compute_beta_vae(
            DATA, REPRESENTATIONS["identity"], 0, num_train=10, num_eval=10, sklearn_semantics="x"
        )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_invariant_to_permuting_latents() -> None:
    perm = np.random.RandomState(3).permutation(10)
    kwargs = dict(batch_size=16, num_train=400, num_eval=300)
    a = compute_beta_vae(DATA, REPRESENTATIONS["half_collapsed"], np.random.RandomState(0), **kwargs)
    b = compute_beta_vae(
        DATA, lambda x: REPRESENTATIONS["half_collapsed"](x)[:, perm], np.random.RandomState(0), **kwargs
    )
    assert b["eval_accuracy"] == pytest.approx(a["eval_accuracy"], abs=0.01)
    assert b["train_accuracy"] == pytest.approx(a["train_accuracy"], abs=0.01)
