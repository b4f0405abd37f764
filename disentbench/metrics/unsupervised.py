"""Unsupervised scores of the reference (docs/reference/metrics.md §9): Gaussian total correlation, Gaussian
Wasserstein correlation (and its normalised form) of the code covariance, and the mean pairwise
plug-in mutual information of the 20-bin-discretised latents.
"""

from __future__ import annotations

import warnings

import numpy as np

from disentbench.datasets.base import GroundTruthData
from disentbench.metrics import utils
from disentbench.metrics.utils import DegenerateRepresentationWarning, RepresentationFunction

#: Condition number of the correlation matrix above which the Gaussian TC is rounding noise (§14).
TC_CONDITION_LIMIT = 1e10


def gaussian_total_correlation(cov: np.ndarray) -> float:
    """``0.5 (sum_i ln C_ii - ln|det C|)`` = KL(N(0, C) || N(0, diag C)) (§9).

    Deviations (the reference returns NaN or +inf), each with a warning:

    * latents with zero variance are independent of everything else, and the TC of the others is
      the limit as their variance goes to 0: they are left out (all constant → 0.0);
    * a singular covariance of the remaining latents (duplicated or collinear latents) makes the
      TC infinite in theory and rounding noise in practice: NaN.

    A nearly singular covariance (condition number of the correlation matrix above
    :data:`TC_CONDITION_LIMIT`) keeps its value but warns that it is ill-conditioned.
    """
    cov = np.asarray(cov, dtype=np.float64)
    diag = np.diag(cov)
    keep = diag > 0
    if not keep.all():
        warnings.warn(
            f"gaussian_total_correlation: latent(s) {np.flatnonzero(~keep).tolist()} have zero variance "
            "(the reference returns NaN); they are left out, as they are independent of the others",
            DegenerateRepresentationWarning,
            stacklevel=2,
        )
        if not keep.any():
            return 0.0
        cov = cov[np.ix_(keep, keep)]
        diag = diag[keep]
    sign, logdet = np.linalg.slogdet(cov)
    tc = 0.5 * (np.sum(np.log(diag)) - logdet)
    if sign <= 0 or not np.isfinite(tc):
        warnings.warn(
            "gaussian_total_correlation: the code covariance is singular (duplicated or collinear "
            "latents; the reference returns +inf or NaN); returning NaN",
            DegenerateRepresentationWarning,
            stacklevel=2,
        )
        return float("nan")
    s = np.sqrt(diag)
    if np.linalg.cond(cov / np.outer(s, s)) > TC_CONDITION_LIMIT:
        warnings.warn(
            "gaussian_total_correlation: nearly collinear latents, the value is dominated by rounding",
            DegenerateRepresentationWarning,
            stacklevel=2,
        )
    return float(tc)


def gaussian_wasserstein_correlation(cov: np.ndarray) -> float:
    """``2 tr C - 2 tr sqrt(diag(C) C)``: squared 2-Wasserstein distance between N(0, C) and
    N(0, diag C) (§9).

    Deviation in method, not in meaning: the reference takes ``scipy.linalg.sqrtm`` of the
    non-symmetric ``diag(C) C``; we use its similar symmetric PSD matrix ``D^½ C D^½`` and an
    eigendecomposition, zeroing eigenvalues at rounding level. The two agree to ~1e-13 for a
    regular covariance; for a singular one (duplicated latents) ``sqrtm`` is inaccurate (scipy
    warns, returns complex values, error ~1e-8 relative) and ours is exact to rounding.
    """
    cov = np.asarray(cov, dtype=np.float64)
    s = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    sym = cov * s[:, None] * s[None, :]
    sym = 0.5 * (sym + sym.T)
    ev = np.linalg.eigvalsh(sym)
    tol = max(float(ev.max(initial=0.0)), 0.0) * ev.size * np.finfo(np.float64).eps
    ev = np.where(ev > tol, ev, 0.0)
    return float(2 * np.trace(cov) - 2 * np.sum(np.sqrt(ev)))


def unsupervised(codes: np.ndarray, num_bins: int = 20) -> dict[str, float]:
    """The four unsupervised scores of ``codes (n, d)`` (factors are not needed) (§9).

    Deviations: ``gaussian_wasserstein_correlation_norm`` is 0.0 (with a warning) when every latent
    is constant (the reference divides 0/0); with a single latent there are no pairs and
    ``mutual_info_score`` is NaN (with a warning).
    """
    codes = utils.check_codes(codes)
    if codes.shape[0] < 2:
        raise ValueError(f"codes need at least 2 points for a covariance, got {codes.shape[0]}")
    mus = codes.T
    num_codes = mus.shape[0]
    cov = np.atleast_2d(np.cov(mus))
    scores: dict[str, float] = {
        "gaussian_total_correlation": gaussian_total_correlation(cov),
        "gaussian_wasserstein_correlation": gaussian_wasserstein_correlation(cov),
    }
    trace = float(np.sum(np.diag(cov)))
    if trace > 0:
        scores["gaussian_wasserstein_correlation_norm"] = scores["gaussian_wasserstein_correlation"] / trace
    else:
        warnings.warn(
            "gaussian_wasserstein_correlation_norm: every latent is constant (the reference divides "
            "0/0); returning 0.0",
            DegenerateRepresentationWarning,
            stacklevel=2,
        )
        scores["gaussian_wasserstein_correlation_norm"] = 0.0
    discretized = utils.histogram_discretize(mus, num_bins)
    mi = utils.discrete_mutual_info(discretized, discretized)
    np.fill_diagonal(mi, 0)
    if num_codes < 2:
        warnings.warn(
            "mutual_info_score: a single latent has no pairs; returning NaN",
            DegenerateRepresentationWarning,
            stacklevel=2,
        )
        scores["mutual_info_score"] = float("nan")
    else:
        scores["mutual_info_score"] = float(np.sum(mi) / (num_codes**2 - num_codes))
    return scores


def compute_unsupervised(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    random_state: np.random.RandomState,
    num_train: int = 10000,
    batch_size: int = 16,
    num_bins: int = 20,
) -> dict[str, float]:
    """The study's ``unsupervised`` config: ``num_train`` points, then :func:`unsupervised`."""
    rs = utils.as_random_state(random_state)
    mus, _ = utils.generate_batch_factor_code(
        ground_truth_data, representation_function, num_train, rs, batch_size
    )
    return unsupervised(mus.T, num_bins=num_bins)
