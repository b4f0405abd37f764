"""Small in-memory data sets for tests and examples (not part of the study)."""

from __future__ import annotations

import numpy as np

from disentbench.datasets.base import GroundTruthData


class IdentityObservationsData(GroundTruthData):
    """The reference's metric test set: K=10 factors with values 1..10, observation = factors.

    ``sample_factors`` draws one row-major ``randint(1, 11, size=(num, 10))`` (the stream of the
    reference's ``random_integers(10, ...)``), so chunking does not change the samples.
    Observations are the factor arrays themselves, ``(n, 10)``, not images.
    """

    name = "identity_observations"

    @property
    def factor_names(self) -> list[str]:
        return [f"factor_{i}" for i in range(10)]

    @property
    def factors_num_values(self) -> list[int]:
        return [10] * 10

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (10, 1, 1)

    def sample_factors(self, num: int, random_state: np.random.RandomState) -> np.ndarray:
        return random_state.randint(1, 11, size=(num, 10))

    def sample_observations_from_factors(
        self, factors: np.ndarray, random_state: np.random.RandomState
    ) -> np.ndarray:
        return factors
