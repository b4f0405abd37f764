"""Mutual Information Gap (Chen et al., NeurIPS 2018), as the reference computes it (docs/reference/metrics.md
§4).

``discrete_mig = mean_j (I(z_a; v_j) - I(z_b; v_j)) / H(v_j)`` where ``a, b`` are the latents with
the largest and second-largest plug-in mutual information with factor ``j``; each latent is
discretised into ``num_bins`` equal-width bins fitted on the same sample, the factors' raw integer
labels are used as they are, and ``H`` is the empirical factor entropy (nats).
"""

from __future__ import annotations

import warnings

import numpy as np

from disentbench.datasets.base import GroundTruthData
from disentbench.metrics import utils
from disentbench.metrics.utils import DegenerateRepresentationWarning, RepresentationFunction


def mig_from_mutual_info(mutual_info: np.ndarray, entropy: np.ndarray) -> float:
    """MIG from a ``(d, K)`` MI matrix and the ``(K,)`` factor entropies (§4 steps 4-5).

    Deviation: a factor with zero entropy (constant in the sample) makes the reference divide 0/0
    (NaN). We leave such factors out of the mean with a warning; if every factor is constant the
    score is NaN.
    """
    mutual_info = np.asarray(mutual_info, dtype=np.float64)
    entropy = np.asarray(entropy, dtype=np.float64)
    if mutual_info.ndim != 2 or mutual_info.shape[0] < 2:
        raise ValueError(f"MIG needs a (latents >= 2, factors) MI matrix, got shape {mutual_info.shape}")
    sorted_m = np.sort(mutual_info, axis=0)[::-1]
    gap = sorted_m[0, :] - sorted_m[1, :]
    informative = entropy > 0
    if not informative.all():
        warnings.warn(
            f"MIG: factor(s) {np.flatnonzero(~informative).tolist()} are constant in the sample "
            "(zero entropy); the reference divides 0/0 here, they are left out of the mean",
            DegenerateRepresentationWarning,
            stacklevel=2,
        )
        if not informative.any():
            return float("nan")
        return float(np.mean(np.divide(gap[informative], entropy[informative])))
    return float(np.mean(np.divide(gap, entropy)))


def mig(codes: np.ndarray, factors: np.ndarray, num_bins: int = 20) -> dict[str, float]:
    """MIG of ``codes (n, d)`` w.r.t. discrete ``factors (n, k)``; the study's defaults (§4)."""
    codes, factors = utils.check_codes_factors(codes, factors)
    if codes.shape[1] < 2:
        raise ValueError(f"MIG needs at least 2 latent dimensions, codes have {codes.shape[1]}")
    mus, ys = codes.T, factors.T
    discretized = utils.histogram_discretize(mus, num_bins)
    m = utils.discrete_mutual_info(discretized, ys)
    entropy = utils.discrete_entropy(ys)
    return {"discrete_mig": mig_from_mutual_info(m, entropy)}


def compute_mig(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    random_state: np.random.RandomState,
    num_train: int = 10000,
    batch_size: int = 16,
    num_bins: int = 20,
) -> dict[str, float]:
    """The study's ``mig`` config: ``num_train`` points sampled in chunks of ``batch_size``."""
    rs = utils.as_random_state(random_state)
    mus, ys = utils.generate_batch_factor_code(
        ground_truth_data, representation_function, num_train, rs, batch_size
    )
    return mig(mus.T, ys.T, num_bins=num_bins)
