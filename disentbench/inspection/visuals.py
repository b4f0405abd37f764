"""Reconstructions, latent traversals and prior samples of a model, as image arrays.

What the reference's visualiser showed for every trained model (docs/reference/study.md §5):
observations next to their reconstructions, samples decoded from the prior, and traversals —
one latent dimension swept over the prior's range while the others keep the code of a fixed
observation. The decoder's output are Bernoulli logits; pictures are their sigmoid
(docs/reference/models.md §2.3).

Everything here is a function of the model and explicit seeds: the fixed observations are
``data.sample(n, RandomState(seed))``, the prior samples ``RandomState(seed + 1)`` normal draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from scipy.stats import norm

from disentbench.datasets.base import GroundTruthData

#: Traversal values: prior quantiles 5 % … 95 % (±1.645 standard deviations), evenly in probability,
#: so every frame is as likely under the prior as every other.
TRAVERSAL_QUANTILES = (0.05, 0.95)


class Decodable(Protocol):
    """What the inspection needs of a model: ``TrainedModel`` has both methods."""

    def encode(self, observations: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]: ...

    def decode(self, z: np.ndarray, *, probabilities: bool = False) -> np.ndarray: ...


def decode_images(model: Decodable, z: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Decoded images (sigmoid of the logits) ``(n, C, 64, 64)`` in [0, 1], in batches."""
    z = np.asarray(z, dtype=np.float32)
    parts = [model.decode(z[i : i + batch_size], probabilities=True) for i in range(0, len(z), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0,), np.float32)


def fixed_observations(data: GroundTruthData, num: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(factors, observations)``: ``num`` draws of ``data`` with ``RandomState(seed)``."""
    return data.sample(num, np.random.RandomState(seed))


def reconstructions(model: Decodable, observations: np.ndarray) -> np.ndarray:
    """The decoded mean code μ(x) of each observation, ``(n, C, 64, 64)`` in [0, 1]."""
    mean, _ = model.encode(observations)
    return decode_images(model, mean)


def traversal_values(steps: int) -> np.ndarray:
    """``steps`` values of one latent: prior quantiles evenly spaced in [5 %, 95 %]."""
    low, high = TRAVERSAL_QUANTILES
    return norm.ppf(np.linspace(low, high, steps))


def traversals(
    model: Decodable, base_codes: np.ndarray, dimensions: Sequence[int], values: np.ndarray
) -> np.ndarray:
    """Decoded sweeps ``(len(dimensions), n_base, len(values), C, 64, 64)``.

    For dimension ``j`` and base code ``c``, frame ``t`` decodes ``c`` with ``c_j`` set to
    ``values[t]``.
    """
    base_codes = np.asarray(base_codes, dtype=np.float32)
    n_base, steps = base_codes.shape[0], len(values)
    codes = np.repeat(base_codes[None, :, None, :], len(dimensions), axis=0)
    codes = np.repeat(codes, steps, axis=2)  # (dims, n_base, steps, d)
    for i, j in enumerate(dimensions):
        codes[i, :, :, j] = np.asarray(values, dtype=np.float32)[None, :]
    images = decode_images(model, codes.reshape(-1, base_codes.shape[1]))
    return images.reshape(len(dimensions), n_base, steps, *images.shape[1:])


def prior_samples(model: Decodable, num: int, num_latents: int, seed: int) -> np.ndarray:
    """``num`` images decoded from z ~ N(0, I) drawn with ``RandomState(seed)``."""
    z = np.random.RandomState(seed).standard_normal((num, num_latents)).astype(np.float32)
    return decode_images(model, z)
