"""Pairs of observations that share all but a few factors: the weakly-supervised data stream
(docs/reference/weak.md §1).

One pair, in the reference's draw order from one ``RandomState`` ``rs``
(docs/reference/weak.md §1.1):

1. ``f1`` = ``data.sample_factors(1, rs)``;
2. ``x1`` = ``data.sample_observations_from_factors(f1, rs)`` (nuisances and variant noise);
3. the "simple dynamics": ``k_obs`` = ``rs.randint(1, F)`` when ``k == -1`` (uniform on 1 … F−1) else
   ``k``; ``n`` = ``rs.choice([1, k_obs])`` (1 or ``k_obs``, ½ each); ``idx`` =
   ``rs.choice(F, n, replace=False)``; each factor in ``idx`` (in that order) gets a new value drawn
   uniformly over *all* its values (it may keep its value); the label is the last element of ``idx``;
4. ``x2`` = ``data.sample_observations_from_factors(f2, rs)`` (fresh nuisances).

The new values of step 3 come from numpy's *global, unseeded* generator in the reference, so its
pairs cannot be reproduced from the model's seed. Here they come from a second, explicitly seeded
``RandomState`` (``value_random_state``); :func:`value_seed` derives its seed from the stream's
seed (docs/deviations.md, "Weak supervision"). With both streams seeded identically this sampler
replays the reference's published draws exactly (tested).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from disentbench.datasets.base import GroundTruthData
from disentbench.errors import UserError

#: ``k`` meaning "draw the number of resampled factors per pair" (the paper's "Rnd").
RANDOM_K = -1
#: Orders of the random draws (see :func:`draw_pair_batch`).
PAIR_STREAM_MODES: tuple[str, ...] = ("per_pair", "batched")


@dataclass(frozen=True)
class PairFactors:
    """The factors of a batch of pairs and what the dynamics did (for tests and diagnostics)."""

    factors1: np.ndarray  # (B, F) int64
    factors2: np.ndarray  # (B, F) int64
    labels: np.ndarray  # (B,) int64: the last resampled factor of each pair
    num_resampled: np.ndarray  # (B,) int64: n, the number of resampled factors


def check_k(k: int, num_factors: int) -> int:
    """``k`` validated for a data set with ``num_factors`` latent factors: −1 or 1 … F
    (docs/reference/weak.md §5)."""
    if num_factors < 2:
        raise UserError(
            f"k: weak supervision needs a data set with at least 2 latent factors, this one has {num_factors}"
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise UserError(f"k: expected an integer (-1 for random), got {k!r}")
    if k != RANDOM_K and not 1 <= k <= num_factors:
        raise UserError(f"k: expected -1 (random) or 1 … {num_factors} for {num_factors} factors, got {k}")
    return int(k)


def value_seed(seed: int) -> int:
    """The seed of the stream of new factor values for a pair stream seeded with ``seed``.

    Independent of ``RandomState(seed)``'s own sequence (a ``SeedSequence`` of ``[seed, 1]``), so the
    two streams are not shifted copies of each other.
    """
    return int(np.random.SeedSequence([int(seed), 1]).generate_state(1)[0])


def resample_factors(
    factors: np.ndarray,
    sizes: list[int],
    k: int,
    random_state: np.random.RandomState,
    value_random_state: np.random.RandomState,
) -> tuple[np.ndarray, int, int]:
    """The dynamics of step 3 for one factor vector: ``(f2, label, n)`` (``factors`` is not modified)."""
    num_factors = len(sizes)
    k_observed = random_state.randint(1, num_factors) if k == RANDOM_K else k
    n = int(random_state.choice([1, k_observed]))
    indices = random_state.choice(num_factors, n, replace=False)
    changed = np.array(factors, dtype=np.int64, copy=True)
    for i in indices:
        # The reference's np.random.choice(range(size)) on the global generator is one randint.
        changed[i] = value_random_state.choice(sizes[i])
    return changed, int(indices[-1]), n


def sample_pair_factors(
    data: GroundTruthData,
    batch_size: int,
    k: int,
    random_state: np.random.RandomState,
    value_random_state: np.random.RandomState,
) -> PairFactors:
    """Factors of ``batch_size`` pairs with the per-pair draw order but without rendering.

    Only equals :func:`draw_pair_batch`'s factors for data sets whose rendering draws nothing from
    ``rs`` (no nuisance, no per-image noise); for tests and diagnostics (it also returns how many
    factors each pair resampled).
    """
    sizes = list(data.factors_num_values)
    first = np.zeros((batch_size, len(sizes)), dtype=np.int64)
    second = np.zeros_like(first)
    labels = np.zeros(batch_size, dtype=np.int64)
    counts = np.zeros(batch_size, dtype=np.int64)
    for b in range(batch_size):
        first[b] = data.sample_factors(1, random_state)[0]
        second[b], labels[b], counts[b] = resample_factors(
            first[b], sizes, k, random_state, value_random_state
        )
    return PairFactors(first, second, labels, counts)


def draw_pairs(
    data: GroundTruthData,
    batch_size: int,
    k: int,
    random_state: np.random.RandomState,
    value_random_state: np.random.RandomState,
    mode: str = "per_pair",
    observe: Callable[[np.ndarray, np.random.RandomState], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One batch of ``batch_size`` pairs: ``(first, second, labels)`` as ``observe`` returns them.

    ``observe(factors, rs)`` turns a ``(n, F)`` factor array into n observations, drawing
    nuisances and per-image noise from ``rs``; the default renders images
    (``data.sample_observations_from_factors``); the trainer's device path passes a function that
    returns the images' row numbers in the data set's pixel array with the same draws.

    ``per_pair`` follows the reference's stream exactly (one pair after the other);
    ``batched`` draws the same distribution with vectorised rendering — all first factors, then
    their observations, then the dynamics, then the second observations — a different order of the
    random stream (docs/deviations.md, "Weak supervision").
    """
    observe = observe or data.sample_observations_from_factors
    sizes = list(data.factors_num_values)
    labels = np.zeros(batch_size, dtype=np.int64)
    if mode == "per_pair":
        x1, x2 = [], []
        for b in range(batch_size):
            f1 = data.sample_factors(1, random_state)
            x1.append(observe(f1, random_state))
            f2, labels[b], _ = resample_factors(f1[0], sizes, k, random_state, value_random_state)
            x2.append(observe(f2[None], random_state))
        return np.concatenate(x1), np.concatenate(x2), labels
    if mode == "batched":
        f1 = data.sample_factors(batch_size, random_state)
        first = observe(f1, random_state)
        f2 = np.empty_like(f1)
        for b in range(batch_size):
            f2[b], labels[b], _ = resample_factors(f1[b], sizes, k, random_state, value_random_state)
        return first, observe(f2, random_state), labels
    raise ValueError(f"unknown pair stream mode {mode!r}; expected one of {PAIR_STREAM_MODES}")


def draw_pair_batch(
    data: GroundTruthData,
    batch_size: int,
    k: int,
    random_state: np.random.RandomState,
    value_random_state: np.random.RandomState,
    mode: str = "per_pair",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One batch of ``batch_size`` pairs as images: ``(x1, x2, labels)``, float32 ``(B, C, 64, 64)``
    each (see :func:`draw_pairs` for the draw orders)."""
    first, second, labels = draw_pairs(data, batch_size, k, random_state, value_random_state, mode)
    return (
        np.ascontiguousarray(first, dtype=np.float32),
        np.ascontiguousarray(second, dtype=np.float32),
        labels,
    )


def pair_stream_mode(data_stream: str) -> str:
    """The pair draw order for a training config's ``data_stream``: ``per_observation`` (the
    reference's order) → ``per_pair``, ``batched`` → ``batched``."""
    return {"per_observation": "per_pair", "batched": "batched"}[data_stream]
