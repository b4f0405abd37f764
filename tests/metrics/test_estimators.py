"""Estimator factories under both sklearn semantics (docs/reference/metrics.md §1.6)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import LinearSVC

from disentbench.metrics import estimators as E


def _data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rs = np.random.RandomState(seed)
    x = rs.randn(n, 4)
    y = np.digitize(x[:, 0] + 0.5 * rs.randn(n), [-0.5, 0.5])
    return x, y


def test_semantics_validator() -> None:
    assert E.SKLEARN_SEMANTICS == ("modern", "2019")
    for s in E.SKLEARN_SEMANTICS:
        assert E.check_sklearn_semantics(s) == s
    with pytest.raises(ValueError, match="'modern', '2019'"):
        E.check_sklearn_semantics("2018")
    for factory in (E.logistic_regression, E.logistic_regression_cv, E.linear_svc):
        with pytest.raises(ValueError, match="sklearn_semantics"):
            factory("old")


def test_modern_logistic_regression_is_lbfgs_and_leaves_random_state_alone() -> None:
    x, y = _data()
    rs = np.random.RandomState(3)
    clf = E.logistic_regression("modern", random_state=rs)
    assert isinstance(clf, LogisticRegression) and clf.solver == "lbfgs"
    clf.fit(x, y)
    assert rs.randint(1000) == np.random.RandomState(3).randint(1000)


def test_2019_logistic_regression_draws_once_and_is_ovr_liblinear() -> None:
    x, y = _data()
    rs = np.random.RandomState(3)
    clf = E.logistic_regression("2019", random_state=rs).fit(x, y)
    ref = np.random.RandomState(3)
    ref.randint(np.iinfo(np.int32).max)
    assert rs.randint(1000) == ref.randint(1000)
    # One binary liblinear problem per class; probabilities = normalised sigmoids.
    sig = np.stack(
        [
            LogisticRegression(solver="liblinear").fit(x, (y == c).astype(int)).predict_proba(x)[:, 1]
            for c in np.unique(y)
        ],
        axis=1,
    )
    np.testing.assert_allclose(clf.predict_proba(x), sig / sig.sum(axis=1, keepdims=True), rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(x), np.argmax(sig, axis=1))
    # Differs from the modern multinomial fit.
    modern = E.logistic_regression("modern").fit(x, y)
    assert not np.allclose(modern.predict_proba(x), clf.predict_proba(x))


def test_logistic_regression_cv_variants() -> None:
    x, y = _data(400)
    modern = E.logistic_regression_cv("modern").fit(x, y)
    assert isinstance(modern, LogisticRegressionCV)
    assert len(np.unique(modern.C_)) == 1
    old = E.logistic_regression_cv("2019").fit(x, y)
    assert isinstance(old, OneVsRestClassifier)
    assert len(old.estimators_) == 3
    cs = np.logspace(-4, 4, 10)
    for est in old.estimators_:
        assert np.isin(est.C_, cs).all()


def test_linear_svc_variants_and_gradient_boosting_seeded() -> None:
    x, y = _data()
    old = E.linear_svc("2019", random_state=0)
    assert isinstance(old, LinearSVC) and old.dual is True and old.C == 0.01
    assert old.class_weight == "balanced"
    modern = E.linear_svc("modern")
    assert modern.dual != True  # noqa: E712 - "auto" on modern sklearn
    a = E.gradient_boosting(random_state=5).fit(x, y).feature_importances_
    b = E.gradient_boosting(random_state=5).fit(x, y).feature_importances_
    np.testing.assert_array_equal(a, b)
