"""Per-dimension statistics of a model's codes: KL to the prior, mean and variance of μ(x).

For a Gaussian encoder q(z|x) = N(μ(x), diag σ²(x)) and the prior N(0, I), the KL divergence of
latent dimension j averaged over observations is

    KL_j = mean_x ½ (μ_j(x)² + σ_j(x)² − log σ_j(x)² − 1)

(the per-dimension terms of the VAE's KL loss, docs/reference/models.md §2.7). A dimension the
model does not use collapses onto the prior (μ ≈ 0, σ ≈ 1) and has KL ≈ 0; the traversals show
the dimensions in order of decreasing KL so the ones in use come first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: A dimension with average KL below this (nats) is reported as inactive (collapsed to the prior).
ACTIVE_KL_THRESHOLD = 0.01


def per_dimension_kl(mean: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """Average KL(q(z_j|x) ‖ N(0, 1)) per dimension, float64 ``(d,)``."""
    mean = np.asarray(mean, dtype=np.float64)
    logvar = np.asarray(logvar, dtype=np.float64)
    return 0.5 * np.mean(mean**2 + np.exp(logvar) - logvar - 1.0, axis=0)


def kl_order(kl: np.ndarray) -> list[int]:
    """Dimension indices by decreasing KL (ties: lower index first)."""
    kl = np.asarray(kl, dtype=np.float64)
    return [int(j) for j in np.lexsort((np.arange(kl.size), -kl))]


def latent_statistics(mean: np.ndarray, logvar: np.ndarray) -> dict[str, Any]:
    """KL per dimension, mean and variance of the codes μ(x), mean σ², order and active dimensions."""
    kl = per_dimension_kl(mean, logvar)
    order = kl_order(kl)
    return {
        "num_observations": int(np.asarray(mean).shape[0]),
        "kl_per_dimension": kl.tolist(),
        "kl_total": float(kl.sum()),
        "code_mean": np.mean(mean, axis=0, dtype=np.float64).tolist(),
        "code_variance": np.var(mean, axis=0, dtype=np.float64).tolist(),
        "posterior_variance_mean": np.mean(np.exp(np.asarray(logvar, np.float64)), axis=0).tolist(),
        "dimension_order": order,
        "active_dimensions": [j for j in order if kl[j] >= ACTIVE_KL_THRESHOLD],
        "active_kl_threshold": ACTIVE_KL_THRESHOLD,
    }
