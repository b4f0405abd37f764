"""Downstream task: how well a classifier on the raw codes predicts each factor (docs/reference/metrics.md
§10).

For each training size ``n`` in ``num_train`` (in order, one random state): a fresh training set
of ``n`` points, then a fresh test set of ``num_test`` points; per factor a new classifier is
fitted on the training codes (no standardisation) and scored by accuracy on both sets. Keys per
size: ``{n}:mean_train_accuracy``, ``{n}:mean_test_accuracy``, ``{n}:min_train_accuracy``,
``{n}:min_test_accuracy``, ``{n}:train_accuracy_factor_{j}``, ``{n}:test_accuracy_factor_{j}``.

Predictors: ``logistic_regression_cv`` (the study's ``LogisticRegressionCV(Cs=10, cv=KFold(5))``,
version semantics in :mod:`disentbench.metrics.estimators`), ``gradient_boosting`` (the study's
``GradientBoostingClassifier()``, grown by the implementation ``gbt_implementation`` names) and
``hist_gradient_boosting`` (the ``fast`` preset's stand-in,
not a reference score).

Deviations (``docs/deviations.md``): every point is sampled first, in the reference's order, and
only then one seed is drawn from the same random state for the classifiers — the reference's
gradient boosting is unseeded (docs/reference/metrics.md §14). Fits may run in parallel (``n_jobs``); each is
independent and seeded, so the values do not depend on it. A factor with a single class in a
training sample (sklearn refuses to fit; the reference crashes) predicts that class.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import joblib
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from disentbench.datasets.base import GroundTruthData
from disentbench.metrics import estimators, utils
from disentbench.metrics.utils import DegenerateRepresentationWarning, RepresentationFunction

#: Accepted ``predictor`` names; the first two are the study's configs.
PREDICTORS: tuple[str, ...] = ("logistic_regression_cv", "gradient_boosting", "hist_gradient_boosting")

#: Upper bound (exclusive) of the classifier seeds drawn from the metric's random state.
SEED_BOUND = 2**31 - 1


def make_predictor(
    predictor: str,
    sklearn_semantics: str = "modern",
    seed: int = 0,
    estimator_params: Mapping[str, Any] | None = None,
    gbt_implementation: str = "disentbench",
) -> Any:
    """A fresh, unfitted classifier named ``predictor`` (see :data:`PREDICTORS`)."""
    estimators.check_sklearn_semantics(sklearn_semantics)
    estimators.check_gbt_implementation(gbt_implementation)
    if predictor == "logistic_regression_cv":
        model = estimators.logistic_regression_cv(sklearn_semantics)
        if estimator_params:
            # The 2019 form wraps the CV model in a one-vs-rest classifier.
            prefix = "estimator__" if sklearn_semantics == "2019" else ""
            model.set_params(**{prefix + k: v for k, v in estimator_params.items()})
        return model
    if predictor == "gradient_boosting":
        model = estimators.gradient_boosting(random_state=seed, implementation=gbt_implementation)
    elif predictor == "hist_gradient_boosting":
        model = HistGradientBoostingClassifier(early_stopping=False, random_state=seed)
    else:
        raise ValueError(f"predictor must be one of {', '.join(PREDICTORS)}; got {predictor!r}")
    return model.set_params(**dict(estimator_params)) if estimator_params else model


def _fit_score(
    predictor: str,
    sklearn_semantics: str,
    seed: int,
    estimator_params: Mapping[str, Any] | None,
    gbt_implementation: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
) -> tuple[float, float, bool]:
    """``(train accuracy, test accuracy, single_class)`` of one factor's classifier.

    BLAS and OpenMP are limited to one thread: the fits are small, and parallelism comes from
    running several fits at once (a multi-threaded fit on a loaded machine was up to 10x slower).
    """
    if np.all(y_train == y_train[0]):
        return 1.0, float(np.mean(y_test == y_train[0])), True
    with utils.single_threaded_blas(), _single_threaded_openmp():
        model = make_predictor(predictor, sklearn_semantics, seed, estimator_params, gbt_implementation)
        with warnings.catch_warnings():
            # Tiny training sets (n=10) leave classes out of CV folds; the reference fits anyway.
            warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
            model.fit(x_train, y_train)
        acc_train = float(np.mean(model.predict(x_train) == y_train))
        acc_test = float(np.mean(model.predict(x_test) == y_test))
    return acc_train, acc_test, False


def _single_threaded_openmp() -> Any:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def _summarise(acc_train: np.ndarray, acc_test: np.ndarray) -> dict[str, float]:
    """The reference's keys for one training size, without the ``{n}:`` prefix."""
    out = {
        "mean_train_accuracy": float(np.mean(acc_train)),
        "mean_test_accuracy": float(np.mean(acc_test)),
        "min_train_accuracy": float(np.min(acc_train)),
        "min_test_accuracy": float(np.min(acc_test)),
    }
    for j in range(acc_train.shape[0]):
        out[f"train_accuracy_factor_{j}"] = float(acc_train[j])
        out[f"test_accuracy_factor_{j}"] = float(acc_test[j])
    return out


def _run_fits(
    splits: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    predictor: str,
    sklearn_semantics: str,
    seed: int,
    estimator_params: Mapping[str, Any] | Sequence[Mapping[str, Any] | None] | None,
    gbt_implementation: str,
    n_jobs: int | None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per split ``(x_tr, y_tr, x_te, y_te)``: per-factor train / test accuracies.

    All (split, factor) fits go to one pool, largest training sets and most classes first, so the
    workers stay balanced.
    """
    if estimator_params is None or isinstance(estimator_params, Mapping):
        estimator_params = [estimator_params] * len(splits)
    tasks = []
    for s, (x_tr, y_tr, _, _) in enumerate(splits):
        for j in range(y_tr.shape[1]):
            tasks.append((s, j, x_tr.shape[0] * np.unique(y_tr[:, j]).size))
    tasks.sort(key=lambda t: -t[2])
    jobs = (
        joblib.delayed(_fit_score)(
            predictor,
            sklearn_semantics,
            seed,
            estimator_params[s],
            gbt_implementation,
            splits[s][0],
            splits[s][1][:, j],
            splits[s][2],
            splits[s][3][:, j],
        )
        for s, j, _ in tasks
    )
    # The compiled booster releases the GIL: threads, no process start-up or data copies.
    threads = predictor == "gradient_boosting" and gbt_implementation == "disentbench"
    results = joblib.Parallel(n_jobs=n_jobs, prefer="threads" if threads else None)(jobs)
    out = [(np.zeros(sp[1].shape[1]), np.zeros(sp[1].shape[1])) for sp in splits]
    single = set()
    for (s, j, _), (tr, te, one_class) in zip(tasks, results, strict=True):
        out[s][0][j], out[s][1][j] = tr, te
        if one_class:
            single.add((splits[s][0].shape[0], j))
    if single:
        warnings.warn(
            "downstream: (training size, factor) pairs with a single class in the training sample "
            f"{sorted(single)} (the reference crashes) predict that class",
            DegenerateRepresentationWarning,
            stacklevel=3,
        )
    return out


def _seed_from(random_state: np.random.RandomState | int) -> int:
    return int(utils.as_random_state(random_state).randint(SEED_BOUND))


def downstream(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    predictor: str = "logistic_regression_cv",
    sklearn_semantics: str = "modern",
    random_state: np.random.RandomState | int = 0,
    estimator_params: Mapping[str, Any] | None = None,
    gbt_implementation: str = "disentbench",
    n_jobs: int | None = None,
) -> dict[str, float]:
    """Downstream accuracies for one training set: codes ``(n, d)``, factors ``(n, K)``.

    Returns the per-size keys without the ``{n}:`` prefix (``mean_test_accuracy``, ...).
    ``random_state`` seeds the classifiers (one draw if it is a ``RandomState``).
    """
    make_predictor(predictor, sklearn_semantics, gbt_implementation=gbt_implementation)  # validate names
    split = utils.check_train_test(codes_train, factors_train, codes_test, factors_test)
    seed = _seed_from(random_state)
    ((acc_tr, acc_te),) = _run_fits(
        [split], predictor, sklearn_semantics, seed, estimator_params, gbt_implementation, n_jobs
    )
    return _summarise(acc_tr, acc_te)


def compute_downstream(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    random_state: np.random.RandomState | int,
    predictor: str = "logistic_regression_cv",
    num_train: Sequence[int] = (10, 100, 1000, 10000),
    num_test: int = 5000,
    batch_size: int = 16,
    sklearn_semantics: str = "modern",
    estimator_params: Mapping[str, Any] | None = None,
    estimator_params_min_train: int = 0,
    gbt_implementation: str = "disentbench",
    n_jobs: int | None = None,
) -> dict[str, float]:
    """The study's ``downstream_task_*`` configs (docs/reference/metrics.md §10).

    Samples, in the reference's order, for each ``n``: ``n`` training points then ``num_test``
    test points (chunks of ``batch_size``); then draws one classifier seed; then fits.
    ``estimator_params`` change the predictor's defaults for training sizes of at least
    ``estimator_params_min_train`` points; smaller sizes keep the study's predictor (the ``fast``
    preset uses this to cheapen only the 10,000-point fits).
    """
    make_predictor(predictor, sklearn_semantics, gbt_implementation=gbt_implementation)
    sizes = [int(n) for n in num_train]
    if not sizes or any(n <= 0 for n in sizes) or num_test <= 0:
        raise ValueError(f"num_train sizes and num_test must be positive, got {sizes}, {num_test}")
    rs = utils.as_random_state(random_state)
    splits = []
    for n in sizes:
        split = utils.sample_train_test(
            ground_truth_data, representation_function, n, num_test, rs, batch_size
        )
        splits.append(utils.check_train_test(*split))
    seed = _seed_from(rs)
    params = [estimator_params if n >= estimator_params_min_train else None for n in sizes]
    accuracies = _run_fits(splits, predictor, sklearn_semantics, seed, params, gbt_implementation, n_jobs)
    out: dict[str, float] = {}
    for n, (acc_tr, acc_te) in zip(sizes, accuracies, strict=True):
        for key, value in _summarise(acc_tr, acc_te).items():
            out[f"{n}:{key}"] = value
    return out
