"""FactorVAE score (docs/reference/metrics.md §3): reference oracles, draw order, batching, fixed
num_active_dims."""

from __future__ import annotations

import numpy as np
import pytest
from _representations import REPRESENTATIONS

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.metrics.factor_vae import compute_factor_vae, compute_variances, generate_votes, prune_dims
from disentbench.metrics.utils import DegenerateRepresentationWarning

DATA = IdentityObservationsData()
ORACLE = dict(batch_size=5, num_train=3000, num_eval=2000, num_variance_estimate=2500, prune_threshold=0.0)


def _reference_votes(data, fn, batch_size, num_votes, rs, global_variances, active_dims):
    votes = np.zeros((data.num_factors, global_variances.shape[0]), dtype=np.int64)
    for _ in range(num_votes):
        k = rs.randint(data.num_factors)
        f = data.sample_factors(batch_size, rs)
        f[:, k] = f[0, k]
        reps = fn(data.sample_observations_from_factors(f, rs))
        local = np.var(reps, axis=0, ddof=1)
        votes[k, np.argmin(local[active_dims] / global_variances[active_dims])] += 1
    return votes


@pytest.mark.parametrize("votes_per_call", [1, 5, 16])
def test_batched_votes_equal_reference_loop(votes_per_call: int) -> None:
    rep = REPRESENTATIONS["mixed"]
    rs = np.random.RandomState(0)
    var = compute_variances(DATA, rep, 1000, rs)
    active = prune_dims(var, 0.05)
    state = rs.get_state()
    votes = generate_votes(DATA, rep, 64, 50, rs, var, active, votes_per_call)
    rs.set_state(state)
    np.testing.assert_array_equal(votes, _reference_votes(DATA, rep, 64, 50, rs, var, active))


def test_variances_are_ddof1_of_one_sample() -> None:
    rep = REPRESENTATIONS["mixed"]
    var = compute_variances(DATA, rep, 300, np.random.RandomState(4))
    obs = DATA.sample_observations(300, np.random.RandomState(4))
    np.testing.assert_allclose(var, np.var(rep(obs), axis=0, ddof=1), rtol=1e-13)


def test_reference_oracles() -> None:
    out = compute_factor_vae(DATA, REPRESENTATIONS["identity"], np.random.RandomState(0), **ORACLE)
    assert 0.9 <= out["train_accuracy"] <= 1.0 and 0.9 <= out["eval_accuracy"] <= 1.0
    # Threshold 0 keeps zero-variance dims "active": 0/0 ratios, votes in column 0 (reference).
    with pytest.warns(DegenerateRepresentationWarning, match="first NaN"):
        out = compute_factor_vae(DATA, REPRESENTATIONS["zeros"], np.random.RandomState(0), **ORACLE)
    assert 0.0 <= out["train_accuracy"] <= 0.2 and 0.0 <= out["eval_accuracy"] <= 0.2


def test_no_active_dims_and_active_count() -> None:
    small = dict(batch_size=16, num_train=200, num_eval=100, num_variance_estimate=500)
    with pytest.warns(DegenerateRepresentationWarning, match="no code dimension"):
        out = compute_factor_vae(DATA, REPRESENTATIONS["zeros"], np.random.RandomState(0), **small)
    assert out == {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0.0}
    out = compute_factor_vae(DATA, REPRESENTATIONS["half_collapsed"], np.random.RandomState(0), **small)
    assert out["num_active_dims"] == 5.0  # the reference reports 10


def test_invariant_to_permuting_latents() -> None:
    perm = np.random.RandomState(3).permutation(10)
    small = dict(batch_size=32, num_train=500, num_eval=300, num_variance_estimate=1000)
    a = compute_factor_vae(DATA, REPRESENTATIONS["mixed"], np.random.RandomState(0), **small)
    b = compute_factor_vae(
        DATA, lambda x: REPRESENTATIONS["mixed"](x)[:, perm], np.random.RandomState(0), **small
    )
    assert a == b
