"""The pair sampler replays the reference's draws (docs/reference/weak.md §1)."""

from __future__ import annotations

import numpy as np
import pytest

from disentbench.datasets import get
from disentbench.datasets.base import GroundTruthData
from disentbench.datasets.pairs import (
    RANDOM_K,
    check_k,
    draw_pair_batch,
    sample_pair_factors,
    value_seed,
)
from disentbench.errors import UserError


class _FactorsAsObservations(GroundTruthData):
    """dSprites' factor sizes; the observation is the factor vector (draws nothing)."""

    name = "factors_as_observations"

    @property
    def factor_names(self) -> list[str]:
        return ["shape", "scale", "orientation", "x", "y"]

    @property
    def factors_num_values(self) -> list[int]:
        return [3, 6, 40, 32, 32]

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (5, 1, 1)

    def sample_observations_from_factors(self, factors, random_state):  # type: ignore[no-untyped-def]
        return factors.astype(np.float32)


def _pairs(k: int, n: int = 5):  # type: ignore[no-untyped-def]
    # The reference's published draws seed its global generator with 0 as well.
    return sample_pair_factors(
        _FactorsAsObservations(), n, k, np.random.RandomState(0), np.random.RandomState(0)
    )


def test_fixed_k_replays_the_reference_draws() -> None:
    pairs = _pairs(1)
    assert pairs.factors1.tolist() == [
        [0, 5, 0, 3, 27],
        [0, 0, 24, 12, 26],
        [1, 0, 9, 20, 19],
        [0, 2, 35, 24, 17],
        [0, 1, 9, 25, 31],
    ]
    assert pairs.factors2.tolist() == [
        [0, 5, 0, 3, 27],
        [0, 0, 24, 12, 3],
        [1, 0, 9, 20, 19],
        [1, 2, 35, 24, 17],
        [0, 1, 9, 18, 31],
    ]
    assert pairs.labels.tolist() == [2, 4, 0, 0, 3]
    assert pairs.num_resampled.tolist() == [1] * 5


def test_random_k_replays_the_reference_draws() -> None:
    pairs = _pairs(RANDOM_K)
    assert pairs.factors1[3:].tolist() == [[1, 3, 19, 14, 7], [2, 4, 23, 3, 30]]
    assert pairs.factors2.tolist() == [
        [1, 5, 0, 21, 19],
        [0, 0, 24, 12, 18],
        [1, 0, 9, 4, 19],
        [1, 3, 23, 14, 7],
        [2, 0, 23, 3, 30],
    ]
    assert pairs.labels.tolist() == [3, 4, 3, 2, 1]
    assert pairs.num_resampled.tolist() == [4, 1, 1, 1, 1]


def test_number_of_resampled_factors_follows_the_dynamics() -> None:
    pairs = _pairs(RANDOM_K, n=20_000)
    counts = np.bincount(pairs.num_resampled, minlength=5)[1:] / 20_000
    # F = 5: P(n=1) = ½ + 1/8, P(n=j) = 1/8 for j = 2…4; never all five factors.
    assert counts == pytest.approx([0.625, 0.125, 0.125, 0.125], abs=0.01)
    differing = (pairs.factors1 != pairs.factors2).sum(axis=1)
    assert differing.max() <= 4
    assert np.all(differing <= pairs.num_resampled)


def test_check_k_rejects_impossible_values() -> None:
    assert check_k(-1, 5) == -1 and check_k(5, 5) == 5
    for bad in (0, 6, -2):
        with pytest.raises(UserError, match="k: expected -1"):
            check_k(bad, 5)
    with pytest.raises(UserError, match="at least 2 latent factors"):
        check_k(1, 1)


def test_value_stream_is_seeded_and_not_the_pair_stream() -> None:
    assert value_seed(0) == value_seed(0) and value_seed(0) != value_seed(1)
    assert value_seed(0) != 0


def test_image_pairs_share_the_unchanged_factors(dsprites_root) -> None:  # type: ignore[no-untyped-def]
    data = get("dsprites_full", root=dsprites_root)
    for mode in ("per_pair", "batched"):
        x1, x2, labels = draw_pair_batch(
            data, 8, 1, np.random.RandomState(3), np.random.RandomState(value_seed(3)), mode=mode
        )
        assert x1.shape == x2.shape == (8, 1, 64, 64) and x1.dtype == np.float32
        assert labels.shape == (8,) and labels.max() < 5
    # Per pair, the reference order: replaying the factors with the same streams renders the same pairs.
    rs, values = np.random.RandomState(3), np.random.RandomState(value_seed(3))
    x1, x2, labels = draw_pair_batch(data, 8, 1, rs, values, mode="per_pair")
    pairs = sample_pair_factors(data, 8, 1, np.random.RandomState(3), np.random.RandomState(value_seed(3)))
    assert labels.tolist() == pairs.labels.tolist()
    np.testing.assert_array_equal(x1, data.sample_observations_from_factors(pairs.factors1, rs))
    np.testing.assert_array_equal(x2, data.sample_observations_from_factors(pairs.factors2, rs))
