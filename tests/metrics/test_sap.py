"""SAP (docs/reference/metrics.md §6): reference unit tests, discrete mode, degenerate factors,
invariances."""

from __future__ import annotations

import numpy as np
import pytest
from _representations import REPRESENTATIONS

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.metrics import utils
from disentbench.metrics.sap import avg_diff_top_two, compute_sap, sap
from disentbench.metrics.utils import DegenerateRepresentationWarning

DATA = IdentityObservationsData()


@pytest.mark.parametrize(
    ("rep", "lo", "hi"), [("identity", 0.9, 1.0), ("zeros", 0.0, 0.2), ("duplicated", 0.0, 0.2)]
)
def test_reference_oracles_continuous(rep: str, lo: float, hi: float) -> None:
    out = compute_sap(
        DATA,
        REPRESENTATIONS[rep],
        np.random.RandomState(0),
        num_train=3000,
        num_test=3000,
        continuous_factors=True,
    )
    assert lo <= out["SAP_score"] <= hi


def _small_sample(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rs = np.random.RandomState(seed)
    y = rs.randint(0, 3, size=(n, 2))
    z = np.hstack([y + 0.1 * rs.randn(n, 2), rs.randn(n, 1)])
    return z, y


@pytest.mark.parametrize("semantics", ["modern", "2019"])
def test_discrete_mode_separates_informative_latents(semantics: str) -> None:
    z, y = _small_sample()
    zt, yt = _small_sample(seed=1)
    good = sap(z, y, zt, yt, sklearn_semantics=semantics)["SAP_score"]
    q, _ = np.linalg.qr(np.random.RandomState(1).randn(3, 3))
    assert good > 0.3
    assert sap(z @ q, y, zt @ q, yt, sklearn_semantics=semantics)["SAP_score"] < good


def test_permutation_invariance_and_duplicate_reuse() -> None:
    z, y = _small_sample()
    zt, yt = _small_sample(seed=1)
    perm = [2, 0, 1]
    assert sap(z[:, perm], y, zt[:, perm], yt) == sap(z, y, zt, yt)
    dup = sap(np.hstack([z, z]), y, np.hstack([zt, zt]), yt)["SAP_score"]
    assert dup == 0.0


def test_constant_factor() -> None:
    z, y = _small_sample()
    y[:, 1] = 2
    with pytest.warns(DegenerateRepresentationWarning, match=r"factor\(s\) \[1\] are constant"):
        out = sap(z, y, z, y)
    assert np.isfinite(out["SAP_score"])
    with pytest.warns(DegenerateRepresentationWarning, match="set to 0"):
        out = sap(z, y, z, y, continuous_factors=True)
    assert np.isfinite(out["SAP_score"])


def test_gap_and_errors() -> None:
    assert avg_diff_top_two(np.array([[0.9, 0.2], [0.5, 0.7], [0.1, 0.6]])) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="at least 2 latent"):
        sap(np.zeros((5, 1)), np.zeros((5, 1)), np.zeros((5, 1)), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="sklearn_semantics"):
        sap(np.zeros((5, 2)), np.zeros((5, 1)), np.zeros((5, 2)), np.zeros((5, 1)), sklearn_semantics="x")


def test_compute_equals_array_function() -> None:
    rs = np.random.RandomState(0)
    z, y = utils.generate_batch_factor_code(DATA, REPRESENTATIONS["mixed"], 500, rs)
    zt, yt = utils.generate_batch_factor_code(DATA, REPRESENTATIONS["mixed"], 300, rs)
    out = compute_sap(DATA, REPRESENTATIONS["mixed"], np.random.RandomState(0), num_train=500, num_test=300)
    assert out == sap(z.T, y.T, zt.T, yt.T)
