"""The ground-truth data interface every data set and every metric relies on (docs/reference/metrics.md §1.4).

Layout: observations are float32 in [0, 1], **channels-first** ``(n, C, 64, 64)`` so they feed a
torch ``Conv2d`` directly (the reference is channels-last ``(n, 64, 64, C)``; only the axis order
differs). Factors are integer class *indices* ``0..size_k-1`` of the latent factors.

Random draws happen in the reference's order so that, given the same ``RandomState``, our
samples are the reference's samples: ``sample_factors`` draws one ``randint(size_k, size=num)``
per latent factor in factor order; ``sample_observations_from_factors`` then draws every nuisance
factor the same way, then the variant's noise.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

import numpy as np


class GroundTruthData(abc.ABC):
    """A data set with known, discrete generative factors."""

    #: Registry name (``dsprites_full``, ``shapes3d``, ...).
    name: str = ""

    @property
    @abc.abstractmethod
    def factor_names(self) -> list[str]:
        """Names of the latent factors, in factor order."""

    @property
    @abc.abstractmethod
    def factors_num_values(self) -> list[int]:
        """Number of values of each latent factor, in factor order."""

    @property
    @abc.abstractmethod
    def observation_shape(self) -> tuple[int, int, int]:
        """Shape of one observation, channels-first ``(C, 64, 64)``."""

    @property
    def num_factors(self) -> int:
        """K, the number of latent factors."""
        return len(self.factors_num_values)

    @property
    def provenance(self) -> dict[str, Any]:
        """Where the pixels come from: ``{"source": "official"|"rendered"|"synthetic", ...}``."""
        return {"source": "synthetic", "name": self.name}

    def sample_factors(self, num: int, random_state: np.random.RandomState) -> np.ndarray:
        """Draw ``num`` latent factor vectors, independent and uniform, as int64 ``(num, K)``."""
        columns = [random_state.randint(size, size=num) for size in self.factors_num_values]
        return (
            np.stack(columns, axis=1).astype(np.int64, copy=False)
            if columns
            else np.zeros((num, 0), dtype=np.int64)
        )

    @abc.abstractmethod
    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        """Observations for latent factor indices ``(n, K)``: float32 ``(n, C, 64, 64)`` in [0,1]."""

    def sample(self, num: int, random_state: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
        """``(factors, observations)`` for ``num`` uniformly drawn factor vectors."""
        factors = self.sample_factors(num, random_state)
        return factors, self.sample_observations_from_factors(factors, random_state)

    def sample_observations(self, num: int, random_state: np.random.RandomState) -> np.ndarray:
        """Observations only, drawn exactly as ``sample`` draws them."""
        return self.sample(num, random_state)[1]


class SplitDiscreteStateSpace:
    """A full factor grid split into latent factors and nuisance factors (docs/reference/data.md §4.1).

    Nuisance factors are re-drawn uniformly every time an observation is produced, after the
    latent factors, in factor order.
    """

    def __init__(self, factor_sizes: Sequence[int], latent_factor_indices: Sequence[int]):
        self.factor_sizes = [int(s) for s in factor_sizes]
        self.latent_factor_indices = [int(i) for i in latent_factor_indices]
        self.nuisance_factor_indices = [
            i for i in range(len(self.factor_sizes)) if i not in self.latent_factor_indices
        ]

    @property
    def num_latent_factors(self) -> int:
        return len(self.latent_factor_indices)

    def sample_all_factors(
        self, latent_factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        """Full factor vectors: the given latent columns plus freshly drawn nuisance columns."""
        latent_factors = np.asarray(latent_factors)
        num = latent_factors.shape[0]
        full = np.zeros((num, len(self.factor_sizes)), dtype=np.int64)
        full[:, self.latent_factor_indices] = latent_factors
        for i in self.nuisance_factor_indices:
            full[:, i] = random_state.randint(self.factor_sizes[i], size=num)
        return full


def factor_bases(factor_sizes: Sequence[int]) -> np.ndarray:
    """Mixed-radix place values, last factor fastest: ``b_i = prod(sizes[i+1:])``.

    Computed exactly in integers (the reference uses float ``prod/cumprod``, which is exact for
    the sizes of the study).
    """
    sizes = [int(s) for s in factor_sizes]
    bases = np.ones(len(sizes), dtype=np.int64)
    for i in range(len(sizes) - 2, -1, -1):
        bases[i] = bases[i + 1] * sizes[i + 1]
    return bases


def factors_to_index(factors: np.ndarray, factor_sizes: Sequence[int]) -> np.ndarray:
    """Row index of each full factor vector in a factor-ordered array (last factor fastest)."""
    factors = np.asarray(factors, dtype=np.int64)
    sizes = np.asarray(factor_sizes, dtype=np.int64)
    if factors.ndim != 2 or factors.shape[1] != sizes.size:
        raise ValueError(f"factors must have shape (n, {sizes.size}), got {factors.shape}")
    if np.any(factors < 0) or np.any(factors >= sizes):
        raise ValueError(f"factor indices out of range for sizes {sizes.tolist()}")
    return factors @ factor_bases(factor_sizes)


def index_to_factors(index: np.ndarray, factor_sizes: Sequence[int]) -> np.ndarray:
    """Inverse of :func:`factors_to_index`: int64 ``(n, K)`` factor vectors."""
    index = np.asarray(index, dtype=np.int64).reshape(-1)
    total = int(np.prod(np.asarray(factor_sizes, dtype=np.int64)))
    if np.any(index < 0) or np.any(index >= total):
        raise ValueError(f"index out of range [0, {total})")
    bases = factor_bases(factor_sizes)
    sizes = np.asarray(factor_sizes, dtype=np.int64)
    return (index[:, None] // bases[None, :]) % sizes[None, :]
