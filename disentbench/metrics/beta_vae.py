"""BetaVAE score (Higgins et al., ICLR 2017), as the reference computes it (docs/reference/metrics.md §2).

One labelled point: draw a factor ``k``, two batches of ``batch_size`` factor vectors that agree
in factor ``k``; the feature is the batch mean of ``|r(x1) - r(x2)|``, the label is ``k``. A
``LogisticRegression`` (see :mod:`disentbench.metrics.estimators` for the sklearn semantics) is
fitted on ``num_train`` points; the score is its accuracy on ``num_eval`` fresh points.
"""

from __future__ import annotations

import numpy as np

from disentbench.datasets.base import GroundTruthData
from disentbench.metrics import estimators, utils
from disentbench.metrics.utils import RepresentationFunction

#: Labelled points whose image pairs go through the representation function in one call. The
#: reference calls it twice per point (``batch_size`` images each); the random draws, done in the
#: reference's order, are the same either way.
POINTS_PER_CALL = 16


def generate_training_batch(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    batch_size: int,
    num_points: int,
    random_state: np.random.RandomState,
    points_per_call: int = POINTS_PER_CALL,
) -> tuple[np.ndarray, np.ndarray]:
    """``(features (num_points, d), labels (num_points,))`` drawn as the reference draws them.

    Per point, in this order: ``k = randint(K)``, factors ``F1``, factors ``F2`` (then
    ``F2[:, k] = F1[:, k]``), observations of ``F1``, observations of ``F2``.
    """
    if num_points <= 0 or batch_size <= 0:
        raise ValueError(f"num_points and batch_size must be positive, got {num_points}, {batch_size}")
    num_factors = ground_truth_data.num_factors
    features: list[np.ndarray] = []
    labels = np.zeros(num_points, dtype=np.int64)
    for start in range(0, num_points, points_per_call):
        stop = min(start + points_per_call, num_points)
        first, second = [], []
        for p in range(start, stop):
            index = random_state.randint(low=0, high=num_factors)
            factors1 = ground_truth_data.sample_factors(batch_size, random_state)
            factors2 = ground_truth_data.sample_factors(batch_size, random_state)
            factors2[:, index] = factors1[:, index]
            first.append(
                np.asarray(ground_truth_data.sample_observations_from_factors(factors1, random_state))
            )
            second.append(
                np.asarray(ground_truth_data.sample_observations_from_factors(factors2, random_state))
            )
            labels[p] = index
        n = stop - start
        reps = utils.encode(representation_function, np.concatenate(first + second))
        reps = reps.reshape(2, n, batch_size, -1)
        features.append(np.mean(np.abs(reps[0] - reps[1]), axis=1))
    return np.concatenate(features), labels


def compute_beta_vae(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    random_state: np.random.RandomState,
    batch_size: int = 64,
    num_train: int = 10000,
    num_eval: int = 5000,
    sklearn_semantics: str = "modern",
) -> dict[str, float]:
    """The study's ``beta_vae_sklearn`` config; keys ``train_accuracy``, ``eval_accuracy``.

    The classifier gets the metric's ``random_state`` (as in the reference); under
    ``sklearn_semantics="2019"`` its ``fit`` consumes one draw from it before the evaluation
    points are sampled, as paper-era liblinear did, so the evaluation set differs from modern's.
    """
    estimators.check_sklearn_semantics(sklearn_semantics)
    rs = utils.as_random_state(random_state)
    train_x, train_y = generate_training_batch(
        ground_truth_data, representation_function, batch_size, num_train, rs
    )
    model = estimators.logistic_regression(sklearn_semantics, random_state=rs)
    with utils.single_threaded_blas():
        model.fit(train_x, train_y)
        train_accuracy = float(np.mean(model.predict(train_x) == train_y))
    eval_x, eval_y = generate_training_batch(
        ground_truth_data, representation_function, batch_size, num_eval, rs
    )
    with utils.single_threaded_blas():
        eval_accuracy = float(np.mean(model.predict(eval_x) == eval_y))
    return {"train_accuracy": train_accuracy, "eval_accuracy": eval_accuracy}
