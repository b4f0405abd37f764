"""The representations of docs/reference/metrics.md §11 on IdentityObservationsData (shared by the metric
tests)."""

from __future__ import annotations

import numpy as np

MIX = np.random.RandomState(42).randn(10, 10)


def identity(x: np.ndarray) -> np.ndarray:
    return np.array(x, dtype=np.float64)


def zeros(x: np.ndarray) -> np.ndarray:
    return np.zeros(np.shape(x), dtype=np.float64)


def duplicated(x: np.ndarray) -> np.ndarray:
    x = identity(x)
    return np.hstack([x, x])


def mixed(x: np.ndarray) -> np.ndarray:
    return identity(x) @ MIX


def half_collapsed(x: np.ndarray) -> np.ndarray:
    x = identity(x)
    return np.hstack([x[:, :5], np.zeros((x.shape[0], 5))])


REPRESENTATIONS = {
    "identity": identity,
    "zeros": zeros,
    "duplicated": duplicated,
    "mixed": mixed,
    "half_collapsed": half_collapsed,
}
