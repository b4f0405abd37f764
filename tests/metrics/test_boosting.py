"""ExactGradientBoostingClassifier against scikit-learn's GradientBoostingClassifier.

The claim of ``disentbench.metrics.boosting`` is "the same trees": so the tests compare the
fitted models bit for bit (decision values, importances, every tree's splits and leaf values),
not within a tolerance, on data without tied values and — with ``exact_ties=True`` — with them.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier

from disentbench.metrics import _boosting_kernels as kernels
from disentbench.metrics.boosting import ExactGradientBoostingClassifier


def _data(n: int, d: int, k: int, seed: int, discrete: bool = False):
    rs = np.random.RandomState(seed)
    x = rs.randn(n, d)
    if discrete:
        x = np.round(2 * x)
    latent = 2 * x[:, 0] + x[:, min(2, d - 1)] + 0.5 * rs.randn(n)
    y = np.digitize(latent, np.quantile(latent, np.linspace(0, 1, k + 1)[1:-1]))
    x_test = rs.randn(300, d)
    if discrete:
        x_test = np.round(2 * x_test)
    return x, y, x_test


def _has_ties(x: np.ndarray) -> bool:
    x32 = x.astype(np.float32)
    return any(np.unique(x32[:, j]).size < x32.shape[0] for j in range(x32.shape[1]))


def _assert_same_model(ours: ExactGradientBoostingClassifier, ref: GradientBoostingClassifier, x_test):
    np.testing.assert_array_equal(ours.feature_importances_, ref.feature_importances_)
    np.testing.assert_array_equal(ours.decision_function(x_test), ref.decision_function(x_test))
    np.testing.assert_array_equal(ours.predict(x_test), ref.predict(x_test))
    for stage in range(ref.estimators_.shape[0]):
        for k in range(ref.estimators_.shape[1]):
            tree = ref.estimators_[stage, k].tree_
            count = tree.node_count
            assert ours.node_count_[stage, k] == count
            leaf = tree.children_left[:count] == -1
            np.testing.assert_array_equal(
                ours.node_feature_[stage, k, :count][~leaf], tree.feature[:count][~leaf]
            )
            np.testing.assert_array_equal(
                ours.node_threshold_[stage, k, :count][~leaf], tree.threshold[:count][~leaf]
            )
            np.testing.assert_array_equal(
                ours.node_value_[stage, k, :count][leaf], tree.value[:count, 0, 0][leaf]
            )


@pytest.mark.parametrize(
    ("n", "d", "k", "params"),
    [
        (300, 5, 2, {"n_estimators": 30}),
        (300, 5, 3, {"n_estimators": 30}),
        (600, 10, 6, {"n_estimators": 15, "learning_rate": 0.5}),
        (400, 4, 4, {"n_estimators": 10, "max_depth": 5, "min_samples_leaf": 3, "min_samples_split": 9}),
    ],
)
def test_same_model_as_sklearn_without_ties(n, d, k, params):
    x, y, x_test = _data(n, d, k, seed=n + d + k)
    assert not _has_ties(x)
    ours = ExactGradientBoostingClassifier(random_state=7, exact_ties=False, **params).fit(x, y)
    ref = GradientBoostingClassifier(random_state=7, **params).fit(x, y)
    _assert_same_model(ours, ref, x_test)


def test_same_model_with_constant_and_duplicated_columns():
    """Constant columns exercise sklearn's constant-feature bookkeeping; a duplicated column makes
    equally good splits on two features, which only the random visiting order separates."""
    x, y, x_test = _data(500, 6, 4, seed=3)
    x[:, 3] = 1.5
    x[:, 4] = x[:, 0]
    x_test[:, 4] = x_test[:, 0]
    ours = ExactGradientBoostingClassifier(n_estimators=20, random_state=11).fit(x, y)
    ref = GradientBoostingClassifier(n_estimators=20, random_state=11).fit(x, y)
    _assert_same_model(ours, ref, x_test)
    assert ours.feature_importances_[3] == 0.0


@pytest.mark.parametrize("k", [2, 5])
def test_same_model_with_tied_values_when_exact_ties(k):
    x, y, x_test = _data(800, 6, k, seed=k, discrete=True)
    assert _has_ties(x)
    ours = ExactGradientBoostingClassifier(n_estimators=25, random_state=5, exact_ties=True).fit(x, y)
    ref = GradientBoostingClassifier(n_estimators=25, random_state=5).fit(x, y)
    _assert_same_model(ours, ref, x_test)


def test_random_state_consumed_as_sklearn_does():
    x, y, _ = _data(200, 4, 3, seed=0)
    rs_ours, rs_ref = np.random.RandomState(9), np.random.RandomState(9)
    ExactGradientBoostingClassifier(n_estimators=7, random_state=rs_ours).fit(x, y)
    GradientBoostingClassifier(n_estimators=7, random_state=rs_ref).fit(x, y)
    assert rs_ours.randint(2**31 - 1) == rs_ref.randint(2**31 - 1)


def test_introsort_matches_sklearns_sort():
    sorting = pytest.importorskip("sklearn.utils._sorting")
    rs = np.random.RandomState(0)
    for trial in range(300):
        n = int(rs.randint(1, 2000))
        high = int(rs.randint(1, 40))
        values = rs.randint(0, high, n).astype(np.float32) if trial % 2 else rs.randn(n).astype(np.float32)
        order = rs.permutation(n)
        ref_v, ref_i = values.copy(), order.astype(np.intp)
        sorting._py_simultaneous_sort(ref_v, ref_i, n, use_three_way_partition=True)
        pad = 3  # sort a slice in the middle of a longer array, as the tree builder does
        our_v = np.concatenate([np.zeros(pad, np.float32), values, np.ones(pad, np.float32)])
        our_i = np.concatenate([np.zeros(pad, np.int32), order.astype(np.int32), np.zeros(pad, np.int32)])
        kernels.introsort_3way(our_v, our_i, pad, n)
        np.testing.assert_array_equal(our_v[pad : pad + n], ref_v)
        np.testing.assert_array_equal(our_i[pad : pad + n], ref_i)


def test_pairwise_sum_is_numpys():
    rs = np.random.RandomState(1)
    for n in [*range(1, 140), 1000, 4099]:
        a = rs.randn(n) * 10.0 ** rs.randint(-6, 6, n)
        assert kernels.pairwise_sum(a, 0, n) == np.sum(a)


def test_stable_tie_order_stays_close_to_sklearn():
    """Without exact_ties the trees are sklearn's up to the summation order inside groups of tied
    values: same predictions almost everywhere, importances within rounding-driven drift."""
    x, y, x_test = _data(800, 6, 5, seed=2, discrete=True)
    ours = ExactGradientBoostingClassifier(n_estimators=25, random_state=5, exact_ties=False).fit(x, y)
    ref = GradientBoostingClassifier(n_estimators=25, random_state=5).fit(x, y)
    assert np.mean(ours.predict(x_test) == ref.predict(x_test)) >= 0.95
    np.testing.assert_allclose(ours.feature_importances_, ref.feature_importances_, atol=0.02)


def test_errors_name_the_problem():
    x, y, _ = _data(50, 3, 2, seed=0)
    with pytest.raises(ValueError, match="at least 2"):
        ExactGradientBoostingClassifier().fit(x, np.zeros(50))
    with pytest.raises(ValueError, match="n_estimators"):
        ExactGradientBoostingClassifier(n_estimators=0).fit(x, y)
    with pytest.raises(ValueError, match="min_samples_split"):
        ExactGradientBoostingClassifier(min_samples_split=1).fit(x, y)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ExactGradientBoostingClassifier().fit(bad, y)
    model = ExactGradientBoostingClassifier(n_estimators=2).fit(x, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(x[:, :2])


def test_string_labels_and_all_single_node_trees():
    x, y, _ = _data(100, 3, 3, seed=4)
    labels = np.array(["a", "b", "c"])[y]
    model = ExactGradientBoostingClassifier(n_estimators=3).fit(x, labels)
    assert set(model.predict(x)) <= {"a", "b", "c"}
    # Features that are all constant: no tree splits, importances are zeros (as sklearn's).
    flat = np.ones((60, 2))
    y2 = np.arange(60) % 2
    ours = ExactGradientBoostingClassifier(n_estimators=3).fit(flat, y2)
    ref = GradientBoostingClassifier(n_estimators=3).fit(flat, y2)
    np.testing.assert_array_equal(ours.feature_importances_, ref.feature_importances_)
    np.testing.assert_array_equal(ours.decision_function(flat), ref.decision_function(flat))
