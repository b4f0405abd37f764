"""Modularity and explicitness (docs/reference/metrics.md §7): reference unit tests, oracles, degenerate
inputs."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from _representations import REPRESENTATIONS

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.metrics import utils
from disentbench.metrics.modularity_explicitness import (
    compute_modularity_explicitness,
    explicitness_per_factor,
    modularity,
    modularity_explicitness,
)
from disentbench.metrics.utils import DegenerateRepresentationWarning

DATA = IdentityObservationsData()


def test_modularity_reference_unit_tests() -> None:
    diag = np.diag(5.0 * np.ones(5))
    assert modularity(diag) == pytest.approx(1.0)
    assert modularity(np.array([[1.0, 0], [0, 1], [0, 0]])) == pytest.approx(2 / 3)
    assert modularity(np.zeros((10, 10))) == 0.0
    assert modularity(np.vstack([diag, diag])) == pytest.approx(1.0)
    assert modularity(diag[:2, :]) == pytest.approx(1.0)
    assert modularity(np.hstack([diag, diag])) == pytest.approx(1 - 1 / 9)
    assert modularity(np.array([[0.7], [0.0]])) == pytest.approx(0.5)  # K = 1: defined, no 0/0


def test_oracle_identity_and_duplicated() -> None:
    for rep in ("identity", "duplicated"):
        out = compute_modularity_explicitness(
            DATA, REPRESENTATIONS[rep], np.random.RandomState(0), num_train=3000, num_test=3000
        )
        assert 0.9 <= out["modularity_score"] <= 1.0
        assert out["explicitness_score_test"] > 0.95


def test_oracle_random_permutation_is_not_modular() -> None:
    # The reference's test: each observation's factor values permuted across the code dims.
    perm_rs = np.random.RandomState(7)

    def shuffled(x: np.ndarray) -> np.ndarray:
        x = np.array(x, dtype=np.float64)
        return np.take_along_axis(x, np.argsort(perm_rs.rand(*x.shape), axis=1), axis=1)

    z, y = utils.generate_batch_factor_code(DATA, shuffled, 20000, np.random.RandomState(0))
    mi = utils.discrete_mutual_info(utils.histogram_discretize(z, 20), y)
    assert 0.0 <= modularity(mi) <= 0.2


def test_permutation_invariance() -> None:
    rs = np.random.RandomState(0)
    z, y = utils.generate_batch_factor_code(DATA, REPRESENTATIONS["mixed"], 1000, rs)
    zt, yt = utils.generate_batch_factor_code(DATA, REPRESENTATIONS["mixed"], 500, rs)
    perm = np.random.RandomState(1).permutation(10)
    a = modularity_explicitness(z.T, y.T, zt.T, yt.T)
    b = modularity_explicitness(z.T[:, perm], y.T, zt.T[:, perm], yt.T)
    assert b["modularity_score"] == pytest.approx(a["modularity_score"], abs=1e-12)
    assert b["explicitness_score_test"] == pytest.approx(a["explicitness_score_test"], abs=1e-6)


def test_constant_latent_does_not_crash() -> None:
    rs = np.random.RandomState(0)
    y = rs.randint(0, 3, size=(600, 2))
    z = np.hstack([y + 0.1 * rs.randn(600, 2), np.zeros((600, 1))])
    with pytest.warns(DegenerateRepresentationWarning, match=r"latent\(s\) \[2\] are constant"):
        out = modularity_explicitness(z[:400], y[:400], z[400:], y[400:])
    assert all(np.isfinite(v) for v in out.values())
    assert out["explicitness_score_test"] > 0.9


def test_class_set_mismatch_and_constant_factor() -> None:
    rs = np.random.RandomState(0)
    y_tr = rs.randint(0, 3, size=300)
    y_te = rs.randint(0, 2, size=100)  # class 2 missing: the reference fails on the shapes
    z_tr = (y_tr + 0.3 * rs.randn(300))[None, :]
    z_te = (y_te + 0.3 * rs.randn(100))[None, :]
    with pytest.warns(DegenerateRepresentationWarning, match="different class sets"):
        tr, te = explicitness_per_factor(z_tr, y_tr, z_te, y_te)
    assert 0.5 < te <= 1.0 and 0.5 < tr <= 1.0
    with pytest.warns(DegenerateRepresentationWarning, match="factor is constant"):
        tr, te = explicitness_per_factor(z_tr, np.zeros(300), z_te, y_te)
    assert np.isnan(tr) and np.isnan(te)


def test_2019_semantics_differs_but_agrees_on_perfect_codes() -> None:
    rs = np.random.RandomState(0)
    z, y = utils.generate_batch_factor_code(DATA, REPRESENTATIONS["mixed"], 1000, rs)
    zt, yt = utils.generate_batch_factor_code(DATA, REPRESENTATIONS["mixed"], 500, rs)
    modern = modularity_explicitness(z.T, y.T, zt.T, yt.T)
    old = modularity_explicitness(z.T, y.T, zt.T, yt.T, sklearn_semantics="2019")
    assert old["modularity_score"] == modern["modularity_score"]
    assert old["explicitness_score_train"] != modern["explicitness_score_train"]
    assert 0.5 < old["explicitness_score_test"] <= 1.0


def test_explicitness_standardises_float32_codes_as_the_reference(monkeypatch) -> None:
    """Float32 codes (the study's encoders') are standardised in float32, as numpy does in the
    reference (metrics §7); float64 codes in float64 (the reference's known answers)."""
    module = importlib.import_module("disentbench.metrics.modularity_explicitness")
    rng = np.random.RandomState(0)
    factors = rng.randint(3, size=(400, 2))
    codes = factors + 1e3 + rng.rand(400, 2) * 1e-3  # float64 digits that float32 cannot hold
    seen = []

    def capture(mus_train, y_train, mus_test, y_test, sklearn_semantics="modern"):
        seen.append((mus_train, mus_test))
        return 1.0, 1.0

    monkeypatch.setattr(module, "explicitness_per_factor", capture)
    codes32 = codes.astype(np.float32)
    module.modularity_explicitness(codes32[:300], factors[:300], codes32[300:], factors[300:])
    train32, test32 = codes[:300].T.astype(np.float32), codes[300:].T.astype(np.float32)
    mean, std = train32.mean(axis=1), train32.std(axis=1)
    expected_train = (train32 - mean[:, None]) / std[:, None]
    expected_test = (test32 - mean[:, None]) / std[:, None]
    for mus_train, mus_test in seen:
        assert mus_train.dtype == np.float32 and mus_test.dtype == np.float32
        np.testing.assert_array_equal(mus_train, expected_train)
        np.testing.assert_array_equal(mus_test, expected_test)
    # float64 standardisation of the same values gives other features: the checks above can fail
    codes64 = train32.astype(np.float64)
    standardised64 = (codes64 - codes64.mean(axis=1)[:, None]) / codes64.std(axis=1)[:, None]
    assert not np.array_equal(standardised64.astype(np.float32), expected_train)
    seen.clear()
    module.modularity_explicitness(codes[:300], factors[:300], codes[300:], factors[300:])
    assert all(mus_train.dtype == np.float64 for mus_train, _ in seen)
