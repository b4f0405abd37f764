"""Unsupervised scores (docs/reference/metrics.md §9): reference unit tests, W against scipy, degenerate
cases."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.metrics.unsupervised import (
    compute_unsupervised,
    gaussian_total_correlation,
    gaussian_wasserstein_correlation,
    unsupervised,
)
from disentbench.metrics.utils import DegenerateRepresentationWarning


def test_reference_unit_tests() -> None:
    assert gaussian_total_correlation(np.eye(5)) == pytest.approx(0.0, abs=0.01)
    c = np.array([[1.0, 0.9], [0.9, 1.0]])
    assert gaussian_total_correlation(c) == pytest.approx(-0.5 * np.log(1 - 0.81), abs=1e-12)
    assert gaussian_total_correlation(c) == pytest.approx(0.830366, abs=1e-6)
    assert gaussian_wasserstein_correlation(np.eye(5)) == pytest.approx(0.0, abs=1e-12)
    expected = np.trace(c + np.diag(np.diag(c)) - 2 * scipy.linalg.sqrtm(c @ np.diag(np.diag(c))))
    assert gaussian_wasserstein_correlation(c) == pytest.approx(expected, abs=1e-12)
    assert gaussian_wasserstein_correlation(c) == pytest.approx(0.610735, abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_w_agrees_with_reference_sqrtm_on_regular_covariances(seed: int) -> None:
    rs = np.random.RandomState(seed)
    a = rs.randn(8, 8) * rs.uniform(0.1, 10, size=8)
    cov = a @ a.T + 0.1 * np.eye(8)
    ref = 2 * np.trace(cov) - 2 * np.trace(scipy.linalg.sqrtm(cov * np.expand_dims(np.diag(cov), axis=1)))
    assert gaussian_wasserstein_correlation(cov) == pytest.approx(float(np.real(ref)), rel=1e-10)


def test_permutation_invariance() -> None:
    rs = np.random.RandomState(0)
    z = rs.randn(2000, 5) @ rs.randn(5, 5)
    perm = rs.permutation(5)
    a, b = unsupervised(z), unsupervised(z[:, perm])
    for key in a:
        assert b[key] == pytest.approx(a[key], rel=1e-9, abs=1e-12), key


def test_keys_and_compute() -> None:
    out = compute_unsupervised(IdentityObservationsData(), lambda x: x.astype(float), 0, num_train=500)
    assert set(out) == {
        "gaussian_total_correlation",
        "gaussian_wasserstein_correlation",
        "gaussian_wasserstein_correlation_norm",
        "mutual_info_score",
    }
    assert all(isinstance(v, float) for v in out.values())


def test_degenerate_cases_warn_and_return_defined_values() -> None:
    rs = np.random.RandomState(0)
    x = rs.randn(1000, 3)
    with pytest.warns(DegenerateRepresentationWarning, match="singular"):
        out = unsupervised(np.hstack([x, x[:, :1]]))
    assert np.isnan(out["gaussian_total_correlation"])
    with pytest.warns(DegenerateRepresentationWarning, match="zero variance"):
        out = unsupervised(np.hstack([x, np.zeros((1000, 2))]))
    assert out["gaussian_total_correlation"] == pytest.approx(
        gaussian_total_correlation(np.cov(x.T)), abs=1e-14
    )
    with pytest.warns(DegenerateRepresentationWarning, match="no pairs"):
        out = unsupervised(x[:, :1])
    assert np.isnan(out["mutual_info_score"])
    with pytest.warns(DegenerateRepresentationWarning, match="rounding"):
        gaussian_total_correlation(np.cov(np.hstack([x, x[:, :1] + 1e-9 * rs.randn(1000, 1)]).T))
