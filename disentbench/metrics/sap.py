"""Separated Attribute Predictability (Kumar et al., ICLR 2018), as the reference (docs/reference/metrics.md
§6).

Score matrix ``S (d, K)``: discrete mode (the study) — accuracy on the test set of a 1-D
``LinearSVC(C=0.01, class_weight="balanced")`` trained on latent i to predict factor j;
continuous mode — squared Pearson correlation on the training set (test set ignored).
``SAP_score = mean_j (top1_j - top2_j)`` over latents.
"""

from __future__ import annotations

import warnings

import numpy as np

from disentbench.datasets.base import GroundTruthData
from disentbench.metrics import estimators, utils
from disentbench.metrics.utils import DegenerateRepresentationWarning, RepresentationFunction

#: Seed of liblinear's coordinate order under ``sklearn_semantics="2019"`` (dual solver). The
#: reference left it to numpy's global generator; a fixed seed makes the score reproducible.
LIBLINEAR_SEED = 0


def avg_diff_top_two(matrix: np.ndarray) -> float:
    """Mean over columns of (largest - second largest) entry (needs >= 2 rows)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] < 2:
        raise ValueError(f"SAP needs a (latents >= 2, factors) score matrix, got shape {matrix.shape}")
    sorted_matrix = np.sort(matrix, axis=0)
    return float(np.mean(sorted_matrix[-1, :] - sorted_matrix[-2, :]))


def sap_score_matrix(
    mus: np.ndarray,
    ys: np.ndarray,
    mus_test: np.ndarray,
    ys_test: np.ndarray,
    continuous_factors: bool,
    sklearn_semantics: str = "modern",
) -> np.ndarray:
    """``S[i, j]`` for transposed ``(d, N)`` codes and ``(K, N)`` factors (§6).

    Deviations (where the reference crashes or returns NaN), each with a warning: a factor constant
    in the training set gets, in discrete mode, the test accuracy of predicting its only value for
    every latent (sklearn refuses to fit one class), and in continuous mode a score of 0 for every
    latent (the reference divides by var(y) = 0).
    """
    num_latents, num_factors = mus.shape[0], ys.shape[0]
    score = np.zeros((num_latents, num_factors))
    constant = [j for j in range(num_factors) if np.all(ys[j] == ys[j, 0])]
    if constant:
        warnings.warn(
            f"SAP: factor(s) {constant} are constant in the training sample; "
            + (
                "their scores are the test accuracy of always predicting that value"
                if not continuous_factors
                else "their scores are set to 0 (the reference gives NaN)"
            ),
            DegenerateRepresentationWarning,
            stacklevel=2,
        )
    # An exact copy of an earlier latent (train and test) gets the same fits: copy its scores.
    same_as = list(range(num_latents))
    for i in range(num_latents):
        for earlier in range(i):
            if np.array_equal(mus[i], mus[earlier]) and np.array_equal(mus_test[i], mus_test[earlier]):
                same_as[i] = earlier
                break
    for j in range(num_factors):
        y_j = ys[j, :]
        if j in constant:
            if not continuous_factors:
                score[:, j] = np.mean(ys_test[j, :] == y_j[0])
            continue
        for i in range(num_latents):
            mu_i = mus[i, :]
            if continuous_factors:
                cov = np.cov(mu_i, y_j, ddof=1)
                var_mu = cov[0, 0]
                score[i, j] = cov[0, 1] ** 2 * 1.0 / (var_mu * cov[1, 1]) if var_mu > 1e-12 else 0.0
            elif same_as[i] != i:
                score[i, j] = score[same_as[i], j]
            else:
                clf = estimators.linear_svc(sklearn_semantics, random_state=LIBLINEAR_SEED)
                clf.fit(mu_i[:, np.newaxis], y_j)
                pred = clf.predict(mus_test[i, :, np.newaxis])
                score[i, j] = np.mean(pred == ys_test[j, :])
    return score


def sap(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    continuous_factors: bool = False,
    sklearn_semantics: str = "modern",
) -> dict[str, float]:
    """SAP of ``(n, d)`` codes w.r.t. ``(n, k)`` factors; defaults = the study's (discrete) mode."""
    estimators.check_sklearn_semantics(sklearn_semantics)
    ztr, ytr, zte, yte = utils.check_train_test(codes_train, factors_train, codes_test, factors_test)
    if ztr.shape[1] < 2:
        raise ValueError(f"SAP needs at least 2 latent dimensions, codes have {ztr.shape[1]}")
    with utils.single_threaded_blas():
        matrix = sap_score_matrix(ztr.T, ytr.T, zte.T, yte.T, continuous_factors, sklearn_semantics)
    return {"SAP_score": avg_diff_top_two(matrix)}


def compute_sap(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    random_state: np.random.RandomState,
    num_train: int = 10000,
    num_test: int = 5000,
    batch_size: int = 16,
    continuous_factors: bool = False,
    sklearn_semantics: str = "modern",
) -> dict[str, float]:
    """The study's ``sap_score`` config: a training then a test sample, then :func:`sap`."""
    estimators.check_sklearn_semantics(sklearn_semantics)
    rs = utils.as_random_state(random_state)
    split = utils.sample_train_test(
        ground_truth_data, representation_function, num_train, num_test, rs, batch_size
    )
    return sap(*split, continuous_factors, sklearn_semantics)
