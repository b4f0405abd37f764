"""DCI (docs/reference/metrics.md §5): importance-matrix primitives, known answers of §11, invariances."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from _representations import REPRESENTATIONS

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.metrics import utils
from disentbench.metrics.dci import (
    completeness,
    completeness_per_factor,
    compute_dci,
    dci,
    disentanglement,
    disentanglement_per_code,
)
from disentbench.metrics.utils import DegenerateRepresentationWarning

DATA = IdentityObservationsData()
SMALL_GBT = {"n_estimators": 20}
TINY_GBT = {"n_estimators": 3}


def test_hand_computed_importance_matrix():
    r = np.array([[0.9, 0.1], [0.2, 0.6], [0.0, 0.3]])
    assert disentanglement(r) == pytest.approx(0.4676104316417423, abs=1e-12)
    assert completeness(r) == pytest.approx(0.3847220741915555, abs=1e-12)
    np.testing.assert_allclose(
        disentanglement_per_code(r), [0.5310044064, 0.1887218755, 0.9999999988], atol=1e-9
    )
    np.testing.assert_allclose(completeness_per_factor(r), [0.5684197981, 0.1826545778], atol=1e-9)


LN2_LN10 = math.log(2) / math.log(10)


@pytest.mark.parametrize(
    ("matrix", "expected_d", "expected_c"),
    [
        (np.diag(5.0 * np.ones(5)), 1.0, 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 1.0, 1.0),
        (np.zeros((10, 10)), 0.0, 0.0),
        (np.vstack([np.diag(5.0 * np.ones(5))] * 2), 1.0, 1.0 - LN2_LN10),
        (np.diag(5.0 * np.ones(5))[:2, :], 1.0, 1.0),
        (np.hstack([np.diag(5.0 * np.ones(5))] * 2), 1.0 - LN2_LN10, 1.0),
    ],
    ids=["diagonal", "empty_code", "zeros", "redundant_codes", "missed_factors", "one_code_two_factors"],
)
def test_reference_unit_matrices(matrix, expected_d, expected_c):
    assert disentanglement(matrix) == pytest.approx(expected_d, abs=1e-7)
    assert completeness(matrix) == pytest.approx(expected_c, abs=1e-7)


def test_importance_matrix_validation():
    with pytest.raises(ValueError, match="codes >= 2, factors >= 2"):
        disentanglement(np.ones((1, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        completeness(-np.ones((3, 3)))


def test_known_answer_identity_1000_500():
    """docs/reference/metrics.md §11, DCI with num_train=1000, num_test=500 (stable digits)."""
    out = compute_dci(
        DATA, REPRESENTATIONS["identity"], np.random.RandomState(0), num_train=1000, num_test=500
    )
    assert out["informativeness_train"] == 1.0
    assert out["informativeness_test"] == 1.0
    assert out["disentanglement"] == pytest.approx(0.9999999989708978, abs=1e-9)
    assert out["completeness"] == pytest.approx(0.9999999989708979, abs=1e-9)


# (informativeness train, test, disentanglement, completeness) of §11; the reference's GBT is
# unseeded, ours seeded: accuracies agree to ~0.002, D and C to the ±0.005 of docs/reference/metrics.md §14.
KNOWN_1000 = {
    "zeros": (0.1165, 0.102, 0.0, 2.2e-16),
    "duplicated": (1.0, 1.0, 0.9999999979968712, 0.7723125044905229),
    "mixed": (0.9918, 0.2478, 0.041805152313853226, 0.043987426215465336),
    "half_collapsed": (0.8118, 0.5528, 0.35002239339643976, 0.6510634845653802),
}


@pytest.mark.slow
@pytest.mark.parametrize("rep", list(KNOWN_1000))
def test_known_answers_1000_500(rep):
    out = compute_dci(
        DATA, REPRESENTATIONS[rep], np.random.RandomState(0), num_train=1000, num_test=500, n_jobs=2
    )
    info_train, info_test, d, c = KNOWN_1000[rep]
    assert out["informativeness_train"] == pytest.approx(info_train, abs=0.003)
    assert out["informativeness_test"] == pytest.approx(info_test, abs=0.005)
    assert out["disentanglement"] == pytest.approx(d, abs=0.005)
    assert out["completeness"] == pytest.approx(c, abs=0.005)


@pytest.mark.slow
def test_known_answer_identity_study_sizes():
    out = compute_dci(DATA, REPRESENTATIONS["identity"], np.random.RandomState(0), n_jobs=2)
    assert out["informativeness_train"] == 1.0
    assert out["informativeness_test"] == 1.0
    assert out["disentanglement"] == pytest.approx(0.9999999989707228, abs=1e-9)
    assert out["completeness"] == pytest.approx(0.9999999989707227, abs=1e-9)


def _axis_aligned(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three factors with 4 values; codes = factors + small noise (one code per factor)."""
    rs = np.random.RandomState(seed)
    factors = rs.randint(4, size=(n, 3))
    codes = factors + 0.05 * rs.randn(n, 3)
    return codes, factors


def _small_dci(codes, factors, codes_test, factors_test, **kw):
    return dci(codes, factors, codes_test, factors_test, estimator_params=SMALL_GBT, **kw)


def test_disentanglement_drops_under_random_rotation():
    codes, factors = _axis_aligned(600, 1)
    codes_te, factors_te = _axis_aligned(300, 2)
    q, _ = np.linalg.qr(np.random.RandomState(3).randn(3, 3))
    aligned = _small_dci(codes, factors, codes_te, factors_te)
    rotated = _small_dci(codes @ q, factors, codes_te @ q, factors_te)
    assert aligned["disentanglement"] > 0.9
    assert aligned["completeness"] > 0.9
    assert rotated["disentanglement"] < aligned["disentanglement"] - 0.3
    assert rotated["completeness"] < aligned["completeness"] - 0.3


def test_permutation_invariance_of_codes_and_factors():
    codes, factors = _axis_aligned(400, 4)
    codes_te, factors_te = _axis_aligned(200, 5)
    codes = np.hstack([codes, np.random.RandomState(6).randn(400, 1)])
    codes_te = np.hstack([codes_te, np.random.RandomState(7).randn(200, 1)])
    base = _small_dci(codes, factors, codes_te, factors_te)
    pc, pf = [2, 0, 3, 1], [1, 2, 0]
    permuted = _small_dci(codes[:, pc], factors[:, pf], codes_te[:, pc], factors_te[:, pf])
    for key in base:
        assert permuted[key] == pytest.approx(base[key], abs=1e-9), key


def test_seeded_and_independent_of_n_jobs():
    codes, factors = _axis_aligned(150, 8)
    codes_te, factors_te = _axis_aligned(50, 9)
    codes = codes @ np.random.RandomState(10).randn(3, 3)
    codes_te = codes_te @ np.random.RandomState(10).randn(3, 3)
    one = _small_dci(codes, factors, codes_te, factors_te, random_state=np.random.RandomState(0), n_jobs=1)
    two = _small_dci(codes, factors, codes_te, factors_te, random_state=np.random.RandomState(0), n_jobs=2)
    assert one == two


def test_compute_draws_the_reference_samples_then_one_seed():
    """compute_dci = dci on the first num_train then num_test points of the same random state,
    with the classifier seed drawn from that state afterwards."""
    rep = REPRESENTATIONS["mixed"]
    out = compute_dci(
        DATA, rep, np.random.RandomState(0), num_train=100, num_test=50, estimator_params=TINY_GBT
    )
    rs = np.random.RandomState(0)
    z_tr, y_tr = utils.generate_batch_factor_code(DATA, rep, 100, rs)
    z_te, y_te = utils.generate_batch_factor_code(DATA, rep, 50, rs)
    expected = dci(z_tr.T, y_tr.T, z_te.T, y_te.T, random_state=rs, estimator_params=TINY_GBT)
    assert out == expected


def test_constant_factor_warns_and_stays_finite():
    codes, factors = _axis_aligned(200, 11)
    factors[:, 1] = 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _small_dci(codes, factors, codes, factors)
    assert any(issubclass(w.category, DegenerateRepresentationWarning) for w in caught)
    assert all(np.isfinite(v) for v in out.values())


def test_shape_errors_name_the_argument():
    codes, factors = _axis_aligned(50, 12)
    with pytest.raises(ValueError, match="factors \\(train\\)"):
        dci(codes, factors[:40], codes, factors)
    with pytest.raises(ValueError, match="differ in width"):
        dci(codes, factors, codes[:, :2], factors)


def _mixed_half_collapsed(x: np.ndarray) -> np.ndarray:
    mixed = REPRESENTATIONS["mixed"](x)
    return np.hstack([mixed[:, :5], np.zeros((len(mixed), 5))])


@pytest.mark.parametrize("rep", [REPRESENTATIONS["mixed"], _mixed_half_collapsed])
def test_disentbench_boosting_gives_sklearns_values(rep):
    """Both GBT implementations grow the same trees: identical DCI on the same samples (codes
    without tied values; the second representation adds constant codes)."""
    kw = {"num_train": 600, "num_test": 300, "estimator_params": {"n_estimators": 20}}
    ours = compute_dci(DATA, rep, np.random.RandomState(3), **kw)
    ref = compute_dci(DATA, rep, np.random.RandomState(3), gbt_implementation="sklearn", **kw)
    assert ours == ref


def test_unknown_gbt_implementation_is_refused():
    with pytest.raises(ValueError, match="gbt_implementation must be one of"):
        compute_dci(DATA, REPRESENTATIONS["mixed"], 0, num_train=20, num_test=10, gbt_implementation="xgb")
