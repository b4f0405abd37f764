"""Helpers shared by the scores (metrics.md §1.5), with the reference's exact semantics."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.metrics import mutual_info_score

from disentbench.datasets.base import GroundTruthData

RepresentationFunction = Callable[[np.ndarray], np.ndarray]


def generate_batch_factor_code(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    num_points: int,
    random_state: np.random.RandomState,
    batch_size: int = 16,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``num_points`` (code, factor) pairs in chunks of ``batch_size``.

    Returns ``(codes, factors)`` with shapes ``(d, N)`` and ``(K, N)`` as the reference does.
    The chunk size matters for bit-exact sampling: each chunk is one ``sample(n, rs)`` call.
    """
    codes, factors = [], []
    i = 0
    while i < num_points:
        n = min(num_points - i, batch_size)
        f, obs = ground_truth_data.sample(n, random_state)
        factors.append(f)
        codes.append(np.asarray(representation_function(obs)))
        i += n
    return np.transpose(np.concatenate(codes)), np.transpose(np.concatenate(factors))


def histogram_discretize(target: np.ndarray, num_bins: int = 20) -> np.ndarray:
    """Discretise each row into ``num_bins`` equal-width bins labelled 1..num_bins.

    Edges are numpy's ``np.histogram`` edges (``linspace`` from min to max, so bit-exact at bin
    boundaries), the last edge dropped; a constant row gets the single label ``num_bins//2 + 1``
    as numpy widens it to ``[v-0.5, v+0.5]``.
    """
    target = np.asarray(target)
    out = np.zeros_like(target)
    for i in range(target.shape[0]):
        edges = np.histogram(target[i, :], num_bins)[1]
        out[i, :] = np.digitize(target[i, :], edges[:-1])
    return out


def discrete_mutual_info(mus: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``M[i, j]`` = plug-in mutual information (nats) between row i of ``mus`` and row j of ``ys``."""
    m = np.zeros((mus.shape[0], ys.shape[0]))
    for i in range(mus.shape[0]):
        for j in range(ys.shape[0]):
            m[i, j] = mutual_info_score(ys[j, :], mus[i, :])
    return m


def discrete_entropy(ys: np.ndarray) -> np.ndarray:
    """Plug-in entropy (nats) of each row of ``ys``."""
    return np.array([mutual_info_score(row, row) for row in ys])


def normalize_data(
    data: np.ndarray, mean: np.ndarray | None = None, stddev: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardise each row over the points (``np.std``, ddof=0); returns the statistics too."""
    if mean is None:
        mean = np.mean(data, axis=1)
    if stddev is None:
        stddev = np.std(data, axis=1)
    return (data - mean[:, np.newaxis]) / stddev[:, np.newaxis], mean, stddev
