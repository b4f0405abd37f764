"""Factories for every scikit-learn estimator the study's scores use, under two semantics.

The reference never pinned scikit-learn, and the defaults it relies on changed in sklearn 0.22
(docs/reference/metrics.md §1.6). Each factory builds the estimator *as the reference writes it*, either

* ``"modern"`` — what that code means with today's sklearn defaults (lbfgs, multinomial; the
  values of docs/reference/metrics.md §11 were measured this way), or
* ``"2019"`` — an emulation of the paper-era (sklearn ≤ 0.21) defaults: one-vs-rest liblinear
  ``LogisticRegression`` (penalised intercept, one draw from the passed random state per ``fit``),
  one-vs-rest ``LogisticRegressionCV`` (per-class C), ``LinearSVC(dual=True)``.

The 2019 emulations are semantically equivalent to the old estimators (same optimisation problems)
but not verified bit-for-bit against an old sklearn install (none runs on current Python).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import LinearSVC
from sklearn.utils import check_random_state

from disentbench.metrics.boosting import ExactGradientBoostingClassifier

#: The allowed values of every ``sklearn_semantics`` argument; the first is the default.
SKLEARN_SEMANTICS: tuple[str, ...] = ("modern", "2019")

RandomStateLike = int | np.random.RandomState | None


def check_sklearn_semantics(semantics: str) -> str:
    """Return ``semantics`` if it is one of :data:`SKLEARN_SEMANTICS`, else raise ``ValueError``."""
    if semantics not in SKLEARN_SEMANTICS:
        allowed = ", ".join(repr(s) for s in SKLEARN_SEMANTICS)
        raise ValueError(f"sklearn_semantics must be one of {allowed}; got {semantics!r}")
    return semantics


def _supported(cls: type, **kwargs: Any) -> dict[str, Any]:
    """Keep only keyword arguments ``cls`` accepts (silences transition warnings on new sklearn
    without breaking older releases that lack the parameter)."""
    params = inspect.signature(cls).parameters
    return {k: v for k, v in kwargs.items() if k in params}


class PaperEraLogisticRegression(ClassifierMixin, BaseEstimator):
    """``LogisticRegression()`` of sklearn ≤ 0.21: liblinear, one-vs-rest, L2, C=1, tol=1e-4.

    Old sklearn's liblinear ``fit`` drew exactly one ``randint(int32 max)`` from the estimator's
    random state (docs/reference/metrics.md §2 pitfalls), so the BetaVAE score's evaluation set depends on it.
    We draw the same integer here when ``random_state`` is a ``RandomState`` (or an int); with
    ``random_state=None`` the old code would draw from numpy's global generator — we do not touch
    the global generator and use seed 0 instead (liblinear's primal L2-LR solver is deterministic,
    so the seed value never changes the fit). Predictions: argmax of the per-class scores;
    probabilities: per-class sigmoids normalised to sum 1, as old ``multi_class="ovr"`` did.
    """

    def __init__(
        self,
        C: float = 1.0,
        tol: float = 1e-4,
        max_iter: int = 100,
        random_state: RandomStateLike = None,
    ):
        self.C = C
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> PaperEraLogisticRegression:
        seed = 0
        if self.random_state is not None:
            seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        inner = LogisticRegression(
            solver="liblinear", C=self.C, tol=self.tol, max_iter=self.max_iter, random_state=seed
        )
        self.ovr_ = OneVsRestClassifier(inner).fit(X, y)
        self.classes_ = self.ovr_.classes_
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.ovr_.decision_function(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.ovr_.predict(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.ovr_.predict_proba(X)


def logistic_regression(semantics: str = "modern", random_state: RandomStateLike = None) -> Any:
    """The reference's ``LogisticRegression(random_state=...)`` (BetaVAE, explicitness; §2, §7)."""
    check_sklearn_semantics(semantics)
    if semantics == "2019":
        return PaperEraLogisticRegression(random_state=random_state)
    # Modern lbfgs does not consume the random state (verified in docs/reference/metrics.md §1.6).
    return LogisticRegression(random_state=random_state)


def logistic_regression_cv(semantics: str = "modern") -> Any:
    """The reference's ``LogisticRegressionCV(Cs=10, cv=KFold(n_splits=5))`` (downstream, §1.5).

    Modern: one multinomial model, a single C chosen by multiclass accuracy. 2019: one-vs-rest,
    each class's C chosen on its own binary problem (old ``multi_class="ovr"``), lbfgs either way.
    The transition-period keyword values passed here are today's defaults spelled out (checked to
    give identical fits), so they only silence sklearn 1.9's FutureWarnings.
    """
    check_sklearn_semantics(semantics)
    extra = _supported(LogisticRegressionCV, l1_ratios=(0.0,), scoring=None, use_legacy_attributes=True)
    cv = LogisticRegressionCV(Cs=10, cv=KFold(n_splits=5), **extra)
    if semantics == "2019":
        return OneVsRestClassifier(cv)
    return cv


def linear_svc(
    semantics: str = "modern",
    random_state: RandomStateLike = None,
    C: float = 0.01,
    class_weight: str | dict | None = "balanced",
) -> LinearSVC:
    """The SAP score's ``LinearSVC(C=0.01, class_weight="balanced")`` (docs/reference/metrics.md §6).

    Modern: sklearn's ``dual="auto"`` (primal when points outnumber features). 2019: ``dual=True``
    (liblinear dual coordinate descent; its random visiting order comes from ``random_state``,
    which the reference left to numpy's global generator).
    """
    check_sklearn_semantics(semantics)
    if semantics == "2019":
        return LinearSVC(C=C, class_weight=class_weight, dual=True, random_state=random_state)
    return LinearSVC(C=C, class_weight=class_weight, random_state=random_state)


#: Implementations of the study's ``GradientBoostingClassifier()``; the first is the default.
#: ``disentbench`` grows the same trees as sklearn's from presorted features, several times
#: faster (:mod:`disentbench.metrics.boosting`); ``sklearn`` is scikit-learn's own class.
GBT_IMPLEMENTATIONS: tuple[str, ...] = ("disentbench", "sklearn")


def check_gbt_implementation(implementation: str) -> str:
    """Return ``implementation`` if it is one of :data:`GBT_IMPLEMENTATIONS`, else ``ValueError``."""
    if implementation not in GBT_IMPLEMENTATIONS:
        allowed = ", ".join(repr(s) for s in GBT_IMPLEMENTATIONS)
        raise ValueError(f"gbt_implementation must be one of {allowed}; got {implementation!r}")
    return implementation


def gradient_boosting(
    random_state: RandomStateLike = None, implementation: str = "disentbench"
) -> GradientBoostingClassifier | ExactGradientBoostingClassifier:
    """The reference's ``GradientBoostingClassifier()`` (DCI, downstream; same in both semantics).

    The reference passes no ``random_state`` (global generator, not reproducible run to run,
    docs/reference/metrics.md §14); callers should pass one derived from the metric's own random state.
    """
    check_gbt_implementation(implementation)
    if implementation == "sklearn":
        return GradientBoostingClassifier(random_state=random_state)
    return ExactGradientBoostingClassifier(random_state=random_state)
