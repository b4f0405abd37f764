"""IRS (docs/reference/metrics.md §8): oracle cases, the fixed num_active_dims, properties."""

from __future__ import annotations

import numpy as np
import pytest
from _representations import REPRESENTATIONS

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.metrics import utils
from disentbench.metrics.irs import compute_irs, drop_constant_dims, irs

DATA = IdentityObservationsData()


@pytest.mark.parametrize(("rep", "lo", "hi"), [("identity", 0.9, 1.0), ("zeros", 0.0, 0.1)])
def test_reference_oracles(rep: str, lo: float, hi: float) -> None:
    out = compute_irs(DATA, REPRESENTATIONS[rep], np.random.RandomState(0), num_train=3000)
    assert lo <= out["IRS"] <= hi


def test_drop_constant_dims() -> None:
    ys = np.array([[1, 1, 1], [1, 2, 3], [0, 0, 0], [4, 5, 4]], dtype=float)
    np.testing.assert_array_equal(drop_constant_dims(ys), ys[[1, 3]])


def test_num_active_dims_counts_dims_not_values() -> None:
    out = compute_irs(DATA, REPRESENTATIONS["half_collapsed"], np.random.RandomState(0), num_train=2000)
    assert out["num_active_dims"] == 5.0  # the reference sums the code values instead


def test_permutation_invariance_and_mixing() -> None:
    z, y = utils.generate_batch_factor_code(DATA, REPRESENTATIONS["identity"], 2000, np.random.RandomState(0))
    z, y = z.T, y.T
    perm = np.random.RandomState(2).permutation(10)
    assert irs(z[:, perm], y)["IRS"] == pytest.approx(irs(z, y)["IRS"], abs=1e-12)
    q, _ = np.linalg.qr(np.random.RandomState(1).randn(10, 10))
    assert irs(z @ q, y)["IRS"] < irs(z, y)["IRS"] - 0.3


def test_bad_quantile() -> None:
    with pytest.raises(ValueError, match="diff_quantile"):
        irs(np.zeros((5, 2)), np.zeros((5, 1)), diff_quantile=99)
