"""Known answers of docs/reference/metrics.md §11 for the numpy/simple scores, measured on the reference code.

Every call gets a fresh ``RandomState(0)`` and the study's parameters on
``IdentityObservationsData``. Pure-numpy scores must match to 1e-9, sklearn-dependent ones to the
digits given in §11 (modern sklearn 1.9.1). Where the reference crashes or returns NaN/inf we
check our documented value and its warning instead.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _representations import REPRESENTATIONS

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.metrics import utils
from disentbench.metrics.beta_vae import compute_beta_vae
from disentbench.metrics.factor_vae import compute_factor_vae
from disentbench.metrics.irs import compute_irs
from disentbench.metrics.mig import compute_mig, mig_from_mutual_info
from disentbench.metrics.modularity_explicitness import compute_modularity_explicitness, modularity
from disentbench.metrics.sap import avg_diff_top_two, compute_sap
from disentbench.metrics.unsupervised import (
    compute_unsupervised,
    gaussian_total_correlation,
    gaussian_wasserstein_correlation,
)
from disentbench.metrics.utils import DegenerateRepresentationWarning

DATA = IdentityObservationsData()
REPS = list(REPRESENTATIONS)
NAN = float("nan")


def _run(fn, rep: str, **params):
    """Call a score with a fresh RandomState(0); return (result, degenerate-warning messages)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(DATA, REPRESENTATIONS[rep], np.random.RandomState(0), **params)
    msgs = [str(w.message) for w in caught if issubclass(w.category, DegenerateRepresentationWarning)]
    return out, msgs


def _identity_codes() -> np.ndarray:
    """The (10, 10000) identity codes every study-size call samples first."""
    rs = np.random.RandomState(0)
    return utils.generate_batch_factor_code(DATA, REPRESENTATIONS["identity"], 10000, rs)[0]


MIG = {
    "identity": 0.997764789264852,
    "zeros": 0.0,
    "duplicated": 0.0,
    "mixed": 0.04188528752143928,
    "half_collapsed": 0.49891954869898286,
}


@pytest.mark.parametrize("rep", REPS)
def test_mig(rep: str) -> None:
    out, msgs = _run(compute_mig, rep)
    assert out["discrete_mig"] == pytest.approx(MIG[rep], abs=1e-9)
    assert msgs == []


# (train, eval, reference num_active_dims, our num_active_dims)
FACTOR_VAE = {
    "identity": (1.0, 1.0, 10, 10),
    "zeros": (0.0, 0.0, 0, 0),
    "duplicated": (1.0, 1.0, 20, 20),
    "mixed": (0.5744, 0.5764, 10, 10),
    "half_collapsed": (0.5082, 0.509, 10, 5),  # reference bug: reports all 10 dims
}


@pytest.mark.parametrize("rep", REPS)
def test_factor_vae(rep: str) -> None:
    out, msgs = _run(compute_factor_vae, rep)
    train, ev, _, active = FACTOR_VAE[rep]
    assert out["train_accuracy"] == pytest.approx(train, abs=1e-9)
    assert out["eval_accuracy"] == pytest.approx(ev, abs=1e-9)
    assert out["num_active_dims"] == active
    assert bool(msgs) == (rep == "zeros")


# gaussian TC, W, W_norm, MI score; NaN/inf entries are the reference's and replaced below.
UNSUPERVISED = {
    "identity": (0.002874953310744388, 0.02367596540653949, 0.00028787351013941364, 0.004251220972427786),
    "zeros": (NAN, 0.0, NAN, 0.0),
    "duplicated": (np.inf, 96.38871369601338, 0.585989987589486, 0.12519682339556745),
    "mixed": (4.537993732894282, 187.80162957046264, 0.2763172875520012, 0.07097965487642313),
    "half_collapsed": (NAN, 0.004125821977041255, 0.00010057068428244414, 0.0010051345808925291),
}


@pytest.mark.parametrize("rep", REPS)
def test_unsupervised(rep: str) -> None:
    out, msgs = _run(compute_unsupervised, rep)
    tc, w, w_norm, mi = UNSUPERVISED[rep]
    assert out["mutual_info_score"] == pytest.approx(mi, abs=1e-9)
    if rep == "duplicated":
        # The reference's sqrtm of a singular matrix is off by ~1e-8 relative; ours is exact:
        # tr sqrt of [[M, M], [M, M]] is sqrt(2) tr sqrt(M), M = D^½ S D^½ of one copy.
        x = _identity_codes()
        s_cov = np.cov(x)
        sd = np.sqrt(np.diag(s_cov))
        root_trace = np.sum(np.sqrt(np.linalg.eigvalsh(s_cov * np.outer(sd, sd))))
        exact = 4 * np.trace(s_cov) - 2 * np.sqrt(2) * root_trace
        assert out["gaussian_wasserstein_correlation"] == pytest.approx(exact, abs=1e-9)
        assert out["gaussian_wasserstein_correlation"] == pytest.approx(w, rel=2e-8)
        assert out["gaussian_wasserstein_correlation_norm"] == pytest.approx(w_norm, rel=2e-8)
    else:
        assert out["gaussian_wasserstein_correlation"] == pytest.approx(w, abs=1e-9)
    if rep in ("identity", "mixed"):
        assert out["gaussian_total_correlation"] == pytest.approx(tc, abs=1e-9)
        assert out["gaussian_wasserstein_correlation_norm"] == pytest.approx(w_norm, abs=1e-9)
        assert msgs == []
    elif rep == "zeros":
        # Reference: TC NaN, W_norm 0/0 NaN. Ours: 0.0 (no variance, no correlation), warned.
        assert out["gaussian_total_correlation"] == 0.0
        assert out["gaussian_wasserstein_correlation_norm"] == 0.0
        assert any("zero variance" in m for m in msgs) and any("0/0" in m for m in msgs)
    elif rep == "duplicated":
        # Reference: +inf. Ours: NaN with a warning naming the singular covariance.
        assert np.isnan(out["gaussian_total_correlation"])
        assert any("singular" in m for m in msgs)
    else:  # half_collapsed: reference NaN; ours = TC of the 5 non-constant latents.
        x = _identity_codes()
        c5 = np.cov(x[:5])
        expected = 0.5 * (np.sum(np.log(np.diag(c5))) - np.linalg.slogdet(c5)[1])
        assert out["gaussian_total_correlation"] == pytest.approx(expected, abs=1e-12)
        assert out["gaussian_wasserstein_correlation_norm"] == pytest.approx(w_norm, abs=1e-9)
        assert any("zero variance" in m for m in msgs)


# IRS and our num_active_dims (the reference sums code values: 549633.0 for identity).
IRS = {
    "identity": (1.0, 10),
    "zeros": (0.0, 0),
    "duplicated": (1.0, 20),
    "mixed": (0.4426731318692471, 10),
    "half_collapsed": (1.0, 5),
}


@pytest.mark.parametrize("rep", REPS)
def test_irs(rep: str) -> None:
    out, _ = _run(compute_irs, rep)
    assert out["IRS"] == pytest.approx(IRS[rep][0], abs=1e-9)
    assert out["num_active_dims"] == IRS[rep][1]


SAP_CONTINUOUS = {
    "identity": 0.999555701982775,
    "zeros": 0.0,
    "duplicated": 0.0,
    "mixed": 0.13731985551692866,
    "half_collapsed": 0.4999258957562301,
}


@pytest.mark.parametrize("rep", REPS)
def test_sap_continuous(rep: str) -> None:
    out, _ = _run(compute_sap, rep, continuous_factors=True)
    assert out["SAP_score"] == pytest.approx(SAP_CONTINUOUS[rep], abs=1e-9)


# §11 gives these to a few digits: tolerance half a unit of the last digit given.
SAP_DISCRETE = {
    "identity": (0.1924, 5e-5),
    "zeros": (0.0, 1e-12),
    "duplicated": (0.0, 1e-12),
    "mixed": (0.02222, 5e-6),
    "half_collapsed": (0.097, 5e-4),
}


@pytest.mark.parametrize("rep", REPS)
def test_sap_discrete(rep: str) -> None:
    out, _ = _run(compute_sap, rep)
    value, tol = SAP_DISCRETE[rep]
    assert out["SAP_score"] == pytest.approx(value, abs=tol)


BETA_VAE = {
    "identity": (1.0, 1.0),
    "zeros": (0.1027, 0.0996),
    "duplicated": (1.0, 1.0),
    "mixed": (0.7348, 0.7354),
    "half_collapsed": (0.6106, 0.6044),
}


@pytest.mark.parametrize("rep", REPS)
def test_beta_vae(rep: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs ConvergenceWarning, as in the reference
        out = compute_beta_vae(DATA, REPRESENTATIONS[rep], np.random.RandomState(0))
    train, ev = BETA_VAE[rep]
    assert out["train_accuracy"] == pytest.approx(train, abs=5e-5)
    assert out["eval_accuracy"] == pytest.approx(ev, abs=5e-5)


# modularity, explicitness train, explicitness test
MODULARITY = {
    "identity": (0.9999965046957529, 1.0, 1.0),
    "duplicated": (0.9999965046957531, 1.0, 1.0),
    "mixed": (0.93147776941703, 0.9800786641737875, 0.9791466129922639),
}


@pytest.mark.parametrize("rep", REPS)
def test_modularity_explicitness(rep: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_modularity_explicitness(DATA, REPRESENTATIONS[rep], np.random.RandomState(0))
    msgs = [str(w.message) for w in caught if issubclass(w.category, DegenerateRepresentationWarning)]
    if rep in MODULARITY:
        mod, tr, te = MODULARITY[rep]
        assert out["modularity_score"] == pytest.approx(mod, abs=1e-9)
        assert out["explicitness_score_train"] == pytest.approx(tr, abs=1e-9)
        assert out["explicitness_score_test"] == pytest.approx(te, abs=1e-9)
        assert msgs == []
    else:
        # The reference crashes (NaN in standardisation). Ours: constant latents become zero
        # features, with a warning naming them.
        assert any("constant in the training sample" in m for m in msgs)
        if rep == "zeros":
            # No information: modularity 0, an intercept-only classifier has AUC 0.5.
            assert out["modularity_score"] == 0.0
            assert out["explicitness_score_train"] == pytest.approx(0.5, abs=1e-12)
            assert out["explicitness_score_test"] == pytest.approx(0.5, abs=1e-12)
        else:
            # Five perfect latents and five empty ones: modularity ~ (5 * 1 + 5 * 0) / 10.
            assert out["modularity_score"] == pytest.approx(0.5, abs=1e-3)
            assert 0.5 < out["explicitness_score_test"] < 1.0
            assert out["explicitness_score_train"] > out["explicitness_score_test"] - 0.01


# ---- hand-computed primitives of §11 (exact, any version) ----


def test_histogram_discretizer_primitives() -> None:
    row = np.array([[0, 0.05, 0.5, 0.95, 1, 0.7]])
    np.testing.assert_array_equal(utils.histogram_discretize(row, 5), [[1, 1, 3, 5, 5, 4]])
    np.testing.assert_array_equal(utils.histogram_discretize(np.full((1, 7), 3.3), 20), np.full((1, 7), 11))


def _mi_example() -> tuple[np.ndarray, np.ndarray]:
    y = np.array([[0, 0, 1, 1, 2, 2, 0, 1], [0, 1, 0, 1, 0, 1, 1, 0]])
    z = np.vstack([y[0], y[1], [0, 0, 0, 0, 1, 1, 1, 1]])
    return z, y


def test_mi_matrix_entropy_and_mig_primitives() -> None:
    z, y = _mi_example()
    m = utils.discrete_mutual_info(z, y)
    np.testing.assert_allclose(
        m, [[1.08219553, 0.04247476], [0.04247476, 0.69314718], [0.21576155, 0]], atol=1e-8
    )
    h = utils.discrete_entropy(y)
    np.testing.assert_allclose(h, [1.08219553, 0.69314718], atol=1e-8)
    assert mig_from_mutual_info(m, h) == pytest.approx(0.869673982710147, abs=1e-12)


def test_modularity_and_sap_gap_primitives() -> None:
    r = np.array([[0.9, 0.1], [0.2, 0.6], [0, 0.3]])
    assert modularity(r) == pytest.approx(0.9588477366255144, abs=1e-12)
    assert avg_diff_top_two(np.array([[0.9, 0.2], [0.5, 0.7], [0.1, 0.6]])) == pytest.approx(0.25, abs=1e-12)


def test_gaussian_tc_w_primitives() -> None:
    c = np.array([[1, 0.5, 0], [0.5, 2, 0.3], [0, 0.3, 0.5]])
    assert gaussian_total_correlation(c) == pytest.approx(0.1210357805998643, abs=1e-12)
    w = gaussian_wasserstein_correlation(c)
    assert w == pytest.approx(0.12771008984559806, abs=1e-12)
    assert w / np.trace(c) == pytest.approx(0.036488597098742304, abs=1e-12)
