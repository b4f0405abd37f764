"""Interventional Robustness Score (Suter et al., ICML 2019), as the reference (docs/reference/metrics.md §8).

Not among the study's configs; offered with the reference's sample config (10000 points,
20-bin discretisation of the **factors**, ``diff_quantile=0.99``).
"""

from __future__ import annotations

import numpy as np

from disentbench.datasets.base import GroundTruthData
from disentbench.metrics import utils
from disentbench.metrics.utils import RepresentationFunction


def drop_constant_dims(ys: np.ndarray) -> np.ndarray:
    """Rows of a ``(dims, N)`` matrix whose variance (ddof=0) is positive."""
    ys = np.asarray(ys)
    if ys.ndim != 2:
        raise ValueError(f"expected a 2-D (dims, points) matrix, got shape {ys.shape}")
    return ys[ys.var(axis=1) > 0.0]


def scalable_disentanglement_score(
    gen_factors: np.ndarray, latents: np.ndarray, diff_quantile: float = 0.99
) -> dict[str, np.ndarray | float]:
    """IRS of ``latents (N, d')`` given discrete ``gen_factors (N, K)`` (§8 steps 3-5).

    Returns ``avg_score`` plus the per-latent ``disentanglement_scores``, ``parents``,
    ``IRS_matrix`` and ``max_deviations``, as the reference does.
    """
    num_gen = gen_factors.shape[1]
    num_lat = latents.shape[1]
    max_deviations = np.max(np.abs(latents - latents.mean(axis=0)), axis=0)
    cum_deviations = np.zeros([num_lat, num_gen])
    for i in range(num_gen):
        unique_factors = np.unique(gen_factors[:, i], axis=0)
        for value in unique_factors:
            match = gen_factors[:, i] == value
            group = latents[match, :]
            e_loc = np.mean(group, axis=0)
            diffs = np.abs(group - e_loc)
            cum_deviations[:, i] += np.percentile(diffs, q=diff_quantile * 100, axis=0)
        cum_deviations[:, i] /= unique_factors.shape[0]
    irs_matrix = 1.0 - cum_deviations / max_deviations[:, np.newaxis]
    disentanglement_scores = irs_matrix.max(axis=1)
    if np.sum(max_deviations) > 0.0:
        avg_score = np.average(disentanglement_scores, weights=max_deviations)
    else:
        avg_score = np.mean(disentanglement_scores)
    return {
        "disentanglement_scores": disentanglement_scores,
        "avg_score": float(avg_score),
        "parents": irs_matrix.argmax(axis=1),
        "IRS_matrix": irs_matrix,
        "max_deviations": max_deviations,
    }


def irs(
    codes: np.ndarray, factors: np.ndarray, diff_quantile: float = 0.99, num_bins: int = 20
) -> dict[str, float]:
    """IRS of ``codes (n, d)`` w.r.t. ``factors (n, k)`` (factors discretised into ``num_bins``).

    Deviation: the reference's ``num_active_dims`` is the *sum of the values* of the non-constant
    latents (a bug, docs/reference/metrics.md §8); we return the number of non-constant latents.
    """
    if not 0.0 <= diff_quantile <= 1.0:
        raise ValueError(f"diff_quantile must be in [0, 1], got {diff_quantile}")
    codes, factors = utils.check_codes_factors(codes, factors)
    mus, ys = codes.T, factors.T
    ys_discrete = utils.histogram_discretize(ys, num_bins)
    active_mus = drop_constant_dims(mus)
    if not active_mus.any():
        score = 0.0
    else:
        score = scalable_disentanglement_score(ys_discrete.T, active_mus.T, diff_quantile)["avg_score"]
    return {"IRS": float(score), "num_active_dims": float(active_mus.shape[0])}


def compute_irs(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    random_state: np.random.RandomState,
    num_train: int = 10000,
    batch_size: int = 16,
    diff_quantile: float = 0.99,
    num_bins: int = 20,
) -> dict[str, float]:
    """The reference's ``irs`` sample config: ``num_train`` points, then :func:`irs`."""
    rs = utils.as_random_state(random_state)
    mus, ys = utils.generate_batch_factor_code(
        ground_truth_data, representation_function, num_train, rs, batch_size
    )
    return irs(mus.T, ys.T, diff_quantile=diff_quantile, num_bins=num_bins)
