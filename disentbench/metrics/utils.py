"""Helpers shared by the scores (docs/reference/metrics.md §1.5), with the reference's exact semantics.

Layout: the reference-style helpers (``generate_batch_factor_code``, ``histogram_discretize``,
``discrete_mutual_info``, ``normalize_data``) work on matrices stored **transposed**,
``(dims, points)``, as the reference does; the array-level score functions take scikit-learn
layout ``(points, dims)`` and transpose once, after :func:`check_codes_factors`.

Speed without changing values: ``discrete_mutual_info`` builds each contingency table with one
``np.bincount`` instead of one ``sklearn.metrics.mutual_info_score`` call per pair, and then
evaluates sklearn's own expression on the non-zero cells in sklearn's order, so every entry is
bit-identical to the reference's (tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from disentbench.datasets.base import GroundTruthData

RepresentationFunction = Callable[[np.ndarray], np.ndarray]

#: Observations gathered before one call of the representation function. The reference calls it
#: once per sampling chunk (16 points); calling it on larger batches draws the same samples from
#: ``random_state`` (the encoder never touches it) and is much faster for a neural encoder.
ENCODE_BATCH_SIZE = 1024


def encode(representation_function: RepresentationFunction, observations: np.ndarray) -> np.ndarray:
    """``representation_function(observations)`` checked to be a finite ``(n, d)`` array.

    A clear error here beats a numpy or sklearn error deep inside a score (e.g. a diverged encoder
    returning NaN).
    """
    n = len(observations)
    codes = np.asarray(representation_function(observations))
    if codes.ndim != 2 or codes.shape[0] != n:
        raise ValueError(
            f"representation_function returned shape {codes.shape} for {n} observations; expected ({n}, d)"
        )
    if not np.all(np.isfinite(codes)):
        raise ValueError("representation_function returned NaN or infinite values")
    return codes


def obtain_representation(
    observations: np.ndarray, representation_function: RepresentationFunction, batch_size: int
) -> np.ndarray:
    """Codes of ``observations`` computed in chunks of ``batch_size``, returned as ``(d, N)``."""
    n = observations.shape[0]
    out = [encode(representation_function, observations[i : i + batch_size]) for i in range(0, n, batch_size)]
    return np.transpose(np.concatenate(out)) if out else np.zeros((0, 0))


def generate_batch_factor_code(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    num_points: int,
    random_state: np.random.RandomState,
    batch_size: int = 16,
    encode_batch_size: int = ENCODE_BATCH_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``num_points`` (code, factor) pairs in chunks of ``batch_size`` (docs/reference/metrics.md
    §1.5).

    Returns ``(codes, factors)`` with shapes ``(d, N)`` and ``(K, N)`` as the reference does.
    The chunk size matters for bit-exact sampling: each chunk is one ``sample(n, rs)`` call.
    Observations of consecutive chunks are encoded together, up to ``encode_batch_size`` at a
    time (see :data:`ENCODE_BATCH_SIZE`).
    """
    if num_points <= 0:
        raise ValueError(f"num_points must be positive, got {num_points}")
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    codes: list[np.ndarray] = []
    factors: list[np.ndarray] = []
    pending: list[np.ndarray] = []
    pending_n = 0

    def flush() -> None:
        nonlocal pending, pending_n
        if pending:
            obs = pending[0] if len(pending) == 1 else np.concatenate(pending)
            codes.append(encode(representation_function, obs))
            pending, pending_n = [], 0

    i = 0
    while i < num_points:
        n = min(num_points - i, batch_size)
        f, obs = ground_truth_data.sample(n, random_state)
        factors.append(np.asarray(f))
        pending.append(np.asarray(obs))
        pending_n += n
        if pending_n >= encode_batch_size:
            flush()
        i += n
    flush()
    return np.transpose(np.concatenate(codes)), np.transpose(np.concatenate(factors))


def sample_train_test(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    num_train: int,
    num_test: int,
    random_state: np.random.RandomState,
    batch_size: int = 16,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A training then a test sample, drawn as the reference draws them (train first, same stream).

    Returns points-first ``(codes_train, factors_train, codes_test, factors_test)``, the layout the
    array forms of the scores take.
    """
    mus_train, ys_train = generate_batch_factor_code(
        ground_truth_data, representation_function, num_train, random_state, batch_size
    )
    mus_test, ys_test = generate_batch_factor_code(
        ground_truth_data, representation_function, num_test, random_state, batch_size
    )
    return mus_train.T, ys_train.T, mus_test.T, ys_test.T


def histogram_discretize(target: np.ndarray, num_bins: int = 20) -> np.ndarray:
    """Discretise each row into ``num_bins`` equal-width bins labelled 1..num_bins (§1.5).

    Edges are numpy's ``np.histogram`` edges (``linspace`` from the row's min to its max, so
    bit-exact at bin boundaries), the last edge dropped, then ``np.digitize``; the maximum gets
    ``num_bins``. A constant row gets the single label ``num_bins // 2 + 1`` because numpy widens
    its range to ``[v - 0.5, v + 0.5]``. Labels are stored in the input's dtype, as the reference
    does. Only the edges are computed (``histogram_bin_edges``), not the unused counts.
    """
    target = np.asarray(target)
    if target.ndim != 2:
        raise ValueError(f"histogram_discretize expects a 2-D (dims, points) array, got {target.shape}")
    if num_bins < 1:
        raise ValueError(f"num_bins must be >= 1, got {num_bins}")
    out = np.zeros_like(target)
    for i in range(target.shape[0]):
        edges = np.histogram_bin_edges(target[i, :], num_bins)
        out[i, :] = np.digitize(target[i, :], edges[:-1])
    return out


def _label_indices(row: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense class indices ``0..c-1`` of a label vector (sorted like ``np.unique``) and ``c``."""
    classes, idx = np.unique(row, return_inverse=True)
    return idx.reshape(-1).astype(np.int64, copy=False), classes.shape[0]


def _mutual_info_from_indices(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> float:
    """sklearn's ``mutual_info_score(labels_true=a, labels_pred=b)`` from class indices.

    Same contingency table, same non-zero cells in the same (row-major) order, same expression,
    same ``eps`` clean-up and clipping, so the result is bit-identical to sklearn 1.x.
    """
    if na == 1 or nb == 1:
        return 0.0
    cont = np.bincount(a * nb + b, minlength=na * nb).reshape(na, nb)
    nzx, nzy = np.nonzero(cont)
    nz_val = cont[nzx, nzy]
    total = int(cont.sum())
    pi = cont.sum(axis=1)
    pj = cont.sum(axis=0)
    log_cont = np.log(nz_val)
    cont_nm = nz_val / total
    outer = pi.take(nzx).astype(np.int64, copy=False) * pj.take(nzy).astype(np.int64, copy=False)
    log_outer = -np.log(outer) + math.log(pi.sum()) + math.log(pj.sum())
    mi = cont_nm * (log_cont - math.log(total)) + cont_nm * log_outer
    mi = np.where(np.abs(mi) < np.finfo(mi.dtype).eps, 0.0, mi)
    return float(np.clip(mi.sum(), 0.0, None))


def discrete_mutual_info(mus: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``M[i, j]`` = plug-in mutual information (nats) between row i of ``mus`` and row j of ``ys``.

    Equals ``sklearn.metrics.mutual_info_score(ys[j], mus[i])`` bit for bit (§1.5); shape
    ``(rows of mus, rows of ys)``.
    """
    mus = np.asarray(mus)
    ys = np.asarray(ys)
    if mus.ndim != 2 or ys.ndim != 2 or mus.shape[1] != ys.shape[1]:
        raise ValueError(
            f"discrete_mutual_info expects (dims, N) and (factors, N) arrays, got {mus.shape}, {ys.shape}"
        )
    mu_idx = [_label_indices(row) for row in mus]
    y_idx = [_label_indices(row) for row in ys]
    m = np.zeros((mus.shape[0], ys.shape[0]))
    for i, (a, na) in enumerate(mu_idx):
        for j, (b, nb) in enumerate(y_idx):
            m[i, j] = _mutual_info_from_indices(b, nb, a, na)
    return m


def discrete_entropy(ys: np.ndarray) -> np.ndarray:
    """Plug-in entropy (nats) of each row of ``ys`` (= ``mutual_info_score(row, row)``)."""
    ys = np.asarray(ys)
    out = np.zeros(ys.shape[0])
    for j, row in enumerate(ys):
        idx, n = _label_indices(row)
        out[j] = _mutual_info_from_indices(idx, n, idx, n)
    return out


def normalize_data(
    data: np.ndarray, mean: np.ndarray | None = None, stddev: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardise each row over the points (``np.std``, ddof=0); returns the statistics too."""
    if mean is None:
        mean = np.mean(data, axis=1)
    if stddev is None:
        stddev = np.std(data, axis=1)
    return (data - mean[:, np.newaxis]) / stddev[:, np.newaxis], mean, stddev


def check_codes(codes: np.ndarray, name: str = "codes") -> np.ndarray:
    """Validate a ``(n, d)`` representation matrix: 2-D, at least one point, finite; as float64."""
    arr = np.asarray(codes)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (points, dims), got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one point and one dimension, got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real-valued, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_factors(factors: np.ndarray, num_points: int, name: str = "factors") -> np.ndarray:
    """Validate a ``(n, k)`` matrix of discrete factor labels with ``n == num_points``."""
    arr = np.asarray(factors)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array (points, factors), got shape {arr.shape}")
    if arr.shape[0] != num_points:
        raise ValueError(f"{name} has {arr.shape[0]} points but the codes have {num_points}")
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be numeric labels, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_codes_factors(
    codes: np.ndarray, factors: np.ndarray, suffix: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a ``(codes (n, d), factors (n, k))`` pair; names in errors get ``suffix``."""
    c = check_codes(codes, "codes" + suffix)
    return c, check_factors(factors, c.shape[0], "factors" + suffix)


def check_train_test(
    codes_train: np.ndarray, factors_train: np.ndarray, codes_test: np.ndarray, factors_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate a training and a test pair (each as :func:`check_codes_factors`) of equal widths."""
    z_tr, y_tr = check_codes_factors(codes_train, factors_train, " (train)")
    z_te, y_te = check_codes_factors(codes_test, factors_test, " (test)")
    if z_tr.shape[1] != z_te.shape[1] or y_tr.shape[1] != y_te.shape[1]:
        raise ValueError(
            f"train and test sets differ in width: codes {z_tr.shape[1]} vs {z_te.shape[1]}, "
            f"factors {y_tr.shape[1]} vs {y_te.shape[1]}"
        )
    return z_tr, y_tr, z_te, y_te


class DegenerateRepresentationWarning(RuntimeWarning):
    """A score met a case where the reference crashes or returns NaN/inf (constant or duplicated
    latents, constant factors); the message names the cause and the value returned instead."""


def as_random_state(random_state: np.random.RandomState | int) -> np.random.RandomState:
    """The metric's random state: a ``numpy.random.RandomState`` as given, or one seeded by an int."""
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return np.random.RandomState(int(random_state))
    raise TypeError(
        f"random_state must be a numpy.random.RandomState or an int seed, got {type(random_state).__name__}"
    )


def single_threaded_blas() -> threadpool_limits:
    """Context manager limiting BLAS to one thread while small scikit-learn models are fitted.

    The scores fit many small models (10000 x d); a multi-threaded BLAS only adds synchronisation
    there, and on a loaded machine it made a ``LogisticRegression`` fit 10x slower (measured 3.3 s
    vs 0.35 s, identical coefficients). Only BLAS is limited (not OpenMP), and only inside the
    ``with`` block, so a torch encoder called elsewhere keeps its threads.
    """
    return threadpool_limits(limits=1, user_api="blas")
