"""MIG (docs/reference/metrics.md §4): the reference's oracle cases, properties and degenerate inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _representations import REPRESENTATIONS
from hypothesis import given, settings
from hypothesis import strategies as st

from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.metrics import utils
from disentbench.metrics.mig import compute_mig, mig
from disentbench.metrics.utils import DegenerateRepresentationWarning

DATA = IdentityObservationsData()


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    z, y = utils.generate_batch_factor_code(DATA, REPRESENTATIONS["identity"], 3000, np.random.RandomState(0))
    return z.T, y.T


@pytest.mark.parametrize(
    ("rep", "lo", "hi"), [("identity", 0.9, 1.0), ("zeros", 0.0, 0.2), ("duplicated", 0.0, 0.1)]
)
def test_reference_oracles(rep: str, lo: float, hi: float) -> None:
    score = compute_mig(DATA, REPRESENTATIONS[rep], np.random.RandomState(0), num_train=3000)["discrete_mig"]
    assert lo <= score <= hi


def test_compute_equals_array_function(sample) -> None:
    z, y = sample
    assert compute_mig(DATA, REPRESENTATIONS["identity"], 0, num_train=3000) == mig(z, y)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_invariant_to_permuting_latents(seed: int) -> None:
    rs = np.random.RandomState(seed)
    z = rs.randn(500, 4) @ rs.randn(4, 4)
    y = np.stack([np.digitize(z[:, 0], [-1, 0, 1]), rs.randint(3, size=500)], axis=1)
    perm = rs.permutation(4)
    assert mig(z[:, perm], y)["discrete_mig"] == mig(z, y)["discrete_mig"]


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_drops_under_random_rotation(seed: int) -> None:
    z, y = utils.generate_batch_factor_code(DATA, REPRESENTATIONS["identity"], 2000, np.random.RandomState(0))
    q, _ = np.linalg.qr(np.random.RandomState(seed).randn(10, 10))
    assert mig(z.T @ q, y.T)["discrete_mig"] < 0.3 < mig(z.T, y.T)["discrete_mig"]


def test_constant_factor_is_left_out_with_warning(sample) -> None:
    z, y = sample
    y2 = y.copy()
    y2[:, 3] = 7
    with pytest.warns(DegenerateRepresentationWarning, match=r"factor\(s\) \[3\] are constant"):
        value = mig(z, y2)["discrete_mig"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = mig(z, np.delete(y, 3, axis=1))["discrete_mig"]
    assert value == pytest.approx(expected, abs=1e-15)
    with pytest.warns(DegenerateRepresentationWarning):
        assert np.isnan(mig(z, np.zeros((z.shape[0], 2)))["discrete_mig"])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="at least 2 latent"):
        mig(np.zeros((10, 1)), np.zeros((10, 1)))
    with pytest.raises(ValueError, match="factors has 9 points"):
        mig(np.zeros((10, 2)), np.zeros((9, 1)))


def _centroid(x: np.ndarray) -> np.ndarray:
    """A hand-made encoder for dSprites images (n, 1, 64, 64): mass, x and y centroid, a constant."""
    img = np.asarray(x, dtype=np.float64)[:, 0]
    mass = img.sum(axis=(1, 2)) + 1e-9
    grid = np.arange(64)
    cy = (img.sum(axis=2) * grid).sum(axis=1) / mass
    cx = (img.sum(axis=1) * grid).sum(axis=1) / mass
    return np.stack([mass, cx, cy, np.zeros_like(mass)], axis=1)


def test_on_rendered_dsprites_images(dsprites_root) -> None:
    from disentbench.datasets import get

    data = get("dsprites_full", root=dsprites_root)
    score = compute_mig(data, _centroid, np.random.RandomState(0), num_train=2000)["discrete_mig"]
    q, _ = np.linalg.qr(np.random.RandomState(1).randn(4, 4))
    mixed = compute_mig(data, lambda x: _centroid(x) @ q, np.random.RandomState(0), num_train=2000)
    # posX and posY are each captured by one centroid coordinate: MIG ~ (0 + ~0.3 + 0 + 1 + 1) / 5.
    assert score > 0.4
    assert mixed["discrete_mig"] < score - 0.2
