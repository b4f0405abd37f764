"""DCI disentanglement, completeness and informativeness (Eastwood & Williams, ICLR 2018).

As the reference computes it (docs/reference/metrics.md §5): for each factor j a
``GradientBoostingClassifier`` (all defaults) is fitted on the raw train codes; its impurity-based
``feature_importances_`` form column j of the importance matrix ``R (d, K)``; its train / test accuracies are
the informativeness. Disentanglement weighs ``1 - H_K(R_i· / sum_j R_ij)`` per code by the code's share
of the total importance; completeness weighs ``1 - H_d(R_·j / sum_i R_ij)`` per factor likewise.

Deviation (docs/reference/metrics.md §14, ``docs/deviations.md``): the reference's classifier has no
``random_state`` and draws from numpy's global generator, so its DCI moves run to run. Here every
classifier gets a seed drawn from the metric's own random state *after* all points are sampled (so
the samples are the reference's) and the same seed gives the same score. Per-factor fits may run
in parallel (``n_jobs``); each fit is independent and seeded, so the values do not depend on it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import joblib
import numpy as np
import scipy.stats

from disentbench.datasets.base import GroundTruthData
from disentbench.metrics import estimators, utils
from disentbench.metrics.utils import DegenerateRepresentationWarning, RepresentationFunction

#: Upper bound (exclusive) of the classifier seeds drawn from the metric's random state.
SEED_BOUND = 2**31 - 1

#: Smoothing added to the importances inside the entropies only (docs/reference/metrics.md §5).
EPSILON = 1e-11


def disentanglement_per_code(importance_matrix: np.ndarray) -> np.ndarray:
    """``D_i = 1 - H_K(P_i·)``: one minus the base-K entropy of code i's importance over factors."""
    r = np.asarray(importance_matrix, dtype=np.float64)
    return 1.0 - scipy.stats.entropy(r.T + EPSILON, base=r.shape[1])


def completeness_per_factor(importance_matrix: np.ndarray) -> np.ndarray:
    """``C_j = 1 - H_d(P_·j)``: one minus the base-d entropy of factor j's importance over codes."""
    r = np.asarray(importance_matrix, dtype=np.float64)
    return 1.0 - scipy.stats.entropy(r + EPSILON, base=r.shape[0])


def _check_importance_matrix(importance_matrix: np.ndarray) -> np.ndarray:
    r = np.asarray(importance_matrix, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] < 2 or r.shape[1] < 2:
        raise ValueError(
            "DCI needs an importance matrix of shape (codes >= 2, factors >= 2) (the entropy bases "
            f"are the numbers of codes and factors), got shape {r.shape}"
        )
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError("the DCI importance matrix must be finite and non-negative")
    return r


def _weights(r: np.ndarray, axis: int) -> np.ndarray:
    """Share of the total importance per code (axis=1) or factor (axis=0); uniform if all zero."""
    if r.sum() == 0.0:
        r = np.ones_like(r)
    return r.sum(axis=axis) / r.sum()


def disentanglement(importance_matrix: np.ndarray) -> float:
    """Importance-weighted mean of :func:`disentanglement_per_code` (docs/reference/metrics.md §5)."""
    r = _check_importance_matrix(importance_matrix)
    return float(np.sum(disentanglement_per_code(r) * _weights(r, axis=1)))


def completeness(importance_matrix: np.ndarray) -> float:
    """Importance-weighted mean of :func:`completeness_per_factor` (docs/reference/metrics.md §5)."""
    r = _check_importance_matrix(importance_matrix)
    return float(np.sum(completeness_per_factor(r) * _weights(r, axis=0)))


EstimatorFactory = Callable[[int], Any]


def make_gradient_boosting(
    params: Mapping[str, Any] | None = None, implementation: str = "disentbench"
) -> EstimatorFactory:
    """Factory of the reference's ``GradientBoostingClassifier()``, optionally with changed
    hyper-parameters (the ``fast`` preset uses fewer boosting stages); called with the seed."""
    extra = dict(params or {})
    estimators.check_gbt_implementation(implementation)

    def factory(seed: int) -> Any:
        model = estimators.gradient_boosting(random_state=seed, implementation=implementation)
        return model.set_params(**extra) if extra else model

    return factory


def _fit_one_factor(
    factory: EstimatorFactory,
    seed: int,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
) -> tuple[np.ndarray, float, float, bool]:
    """Importances, train and test accuracy of one factor's classifier; the flag says the factor
    was constant in the training sample (sklearn refuses to fit one class)."""
    if np.all(y_train == y_train[0]):
        return (
            np.zeros(x_train.shape[1]),
            1.0,
            float(np.mean(y_test == y_train[0])),
            True,
        )
    with utils.single_threaded_blas():
        model = factory(seed)
        model.fit(x_train, y_train)
        importances = np.abs(np.asarray(model.feature_importances_, dtype=np.float64))
        acc_train = float(np.mean(model.predict(x_train) == y_train))
        acc_test = float(np.mean(model.predict(x_test) == y_test))
    return importances, acc_train, acc_test, False


def _factor_order_by_cost(factors: np.ndarray) -> list[int]:
    """Factors with more classes first: a multi-class boosting fit builds one tree per class and
    stage, so scheduling the expensive fits first balances the parallel workers."""
    classes = [np.unique(factors[:, j]).size for j in range(factors.shape[1])]
    return sorted(range(factors.shape[1]), key=lambda j: -classes[j])


def importance_matrix(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    seed: int = 0,
    estimator_params: Mapping[str, Any] | None = None,
    gbt_implementation: str = "disentbench",
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(R (d, K), train accuracies (K,), test accuracies (K,))`` from one classifier per factor.

    Arrays are scikit-learn layout: codes ``(n, d)``, factors ``(n, K)``. Every classifier gets
    ``random_state=seed``. Deviation: a factor constant in the training sample (the reference
    crashes) gets zero importances, train accuracy 1 and the test accuracy of predicting its value.
    """
    x_train, y_train, x_test, y_test = utils.check_train_test(
        codes_train, factors_train, codes_test, factors_test
    )
    factory = make_gradient_boosting(estimator_params, gbt_implementation)
    order = _factor_order_by_cost(y_train)
    jobs = (
        joblib.delayed(_fit_one_factor)(factory, seed, x_train, y_train[:, j], x_test, y_test[:, j])
        for j in order
    )
    # The compiled booster releases the GIL: threads, no process start-up or data copies.
    prefer = "threads" if gbt_implementation == "disentbench" else None
    results = joblib.Parallel(n_jobs=n_jobs, prefer=prefer)(jobs)
    num_codes, num_factors = x_train.shape[1], y_train.shape[1]
    r = np.zeros((num_codes, num_factors))
    acc_train, acc_test = np.zeros(num_factors), np.zeros(num_factors)
    constant = []
    for j, (imp, tr, te, is_constant) in zip(order, results, strict=True):
        r[:, j], acc_train[j], acc_test[j] = imp, tr, te
        if is_constant:
            constant.append(j)
    if constant:
        warnings.warn(
            f"DCI: factor(s) {sorted(constant)} are constant in the training sample (the reference "
            "crashes); they get zero importances and the accuracy of predicting that value",
            DegenerateRepresentationWarning,
            stacklevel=2,
        )
    return r, acc_train, acc_test


def _seed_from(random_state: np.random.RandomState | int) -> int:
    """A classifier seed: one draw from a ``RandomState``, or the int itself."""
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(SEED_BOUND))
    return int(utils.as_random_state(random_state).randint(SEED_BOUND))


def dci(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    random_state: np.random.RandomState | int = 0,
    estimator_params: Mapping[str, Any] | None = None,
    gbt_implementation: str = "disentbench",
    n_jobs: int | None = None,
) -> dict[str, float]:
    """DCI of ``codes (n, d)`` w.r.t. discrete ``factors (n, K)``: the study's score (§5).

    ``random_state`` seeds the classifiers (one draw if it is a ``RandomState``; an int is used
    to seed a ``RandomState`` first). ``estimator_params`` changes the ``GradientBoostingClassifier``
    defaults (only the ``fast`` preset does; the result is then not the reference's DCI).
    ``gbt_implementation`` picks whose ``GradientBoostingClassifier`` grows the trees
    (:data:`~disentbench.metrics.estimators.GBT_IMPLEMENTATIONS`; the same trees either way).
    """
    seed = _seed_from(random_state)
    r, acc_train, acc_test = importance_matrix(
        codes_train,
        factors_train,
        codes_test,
        factors_test,
        seed=seed,
        estimator_params=estimator_params,
        gbt_implementation=gbt_implementation,
        n_jobs=n_jobs,
    )
    return {
        "informativeness_train": float(np.mean(acc_train)),
        "informativeness_test": float(np.mean(acc_test)),
        "disentanglement": disentanglement(r),
        "completeness": completeness(r),
    }


def compute_dci(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    random_state: np.random.RandomState | int,
    num_train: int = 10000,
    num_test: int = 5000,
    batch_size: int = 16,
    estimator_params: Mapping[str, Any] | None = None,
    gbt_implementation: str = "disentbench",
    n_jobs: int | None = None,
) -> dict[str, float]:
    """The study's ``dci`` config: ``num_train`` then ``num_test`` points (chunks of
    ``batch_size``), then one classifier seed from the same random state (our deviation, §14)."""
    estimators.check_gbt_implementation(gbt_implementation)
    rs = utils.as_random_state(random_state)
    split = utils.sample_train_test(
        ground_truth_data, representation_function, num_train, num_test, rs, batch_size
    )
    return dci(
        *split,
        random_state=rs,
        estimator_params=estimator_params,
        gbt_implementation=gbt_implementation,
        n_jobs=n_jobs,
    )
