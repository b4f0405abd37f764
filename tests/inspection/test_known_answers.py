"""Known answers: generators whose factor axes are known by construction (reduced dSprites).

Latent k drives factor k linearly (quantised): the fitted axes are the unit vectors, decorrelation
changes nothing, controllability is near 1. A rotated generator: the axes are the rotation's rows.
A generator that ignores its input: controllability 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from _generators import QuantisedGenerator
from scipy.stats import ortho_group

from disentbench.inspection.axes import decorrelate, fit_axes, labelled_codes
from disentbench.inspection.controllability import controllability

D = 10


def _axes(generator, data, classifier):
    z, labels = labelled_codes(generator, classifier, data, D, source="prior", num=3000, seed=1)
    return fit_axes(z, labels, data.factor_names, data.factors_num_values, seed=1)


def _cosines(fitted: np.ndarray, expected: np.ndarray) -> np.ndarray:
    return np.abs(np.sum(fitted * expected, axis=1))  # rows are unit vectors


def test_axes_are_the_unit_vectors_and_controllability_is_near_one(reduced_dsprites, lookup_classifier):
    generator = QuantisedGenerator(reduced_dsprites, D)
    axes = _axes(generator, reduced_dsprites, lookup_classifier)
    k = reduced_dsprites.num_factors
    assert _cosines(axes.axes, np.eye(D)[:k]).min() > 0.97, axes.axes.round(2)
    assert all(q > 0.8 for q in axes.fit_quality.values()), axes.fit_quality
    # Decorrelation against every other factor is (near) the identity: the axes are orthogonal.
    decorrelated = decorrelate(axes.axes, locked=range(k))
    assert _cosines(decorrelated, axes.axes).min() > 0.998
    scores = controllability(generator, lookup_classifier, axes, D, num_codes=400, seed=2)
    assert scores["controllability.score"] > 0.9, scores
    for name in reduced_dsprites.factor_names:
        assert scores[f"controllability.{name}.target_change"] > 0.9
        assert scores[f"controllability.{name}.other_change"] < 0.05


def test_axes_recover_a_rotation(reduced_dsprites, lookup_classifier):
    rotation = ortho_group.rvs(D, random_state=3)
    generator = QuantisedGenerator(reduced_dsprites, D, rotation=rotation)
    axes = _axes(generator, reduced_dsprites, lookup_classifier)
    k = reduced_dsprites.num_factors
    assert _cosines(axes.axes, rotation[:k]).min() > 0.97
    assert _cosines(axes.axes, np.eye(D)[:k]).max() < 0.9  # not the unit vectors
    scores = controllability(generator, lookup_classifier, axes, D, num_codes=400, seed=2)
    assert scores["controllability.score"] > 0.9, scores


def test_a_decoder_that_ignores_its_input_has_controllability_zero(reduced_dsprites, lookup_classifier):
    generator = QuantisedGenerator(reduced_dsprites, D, constant=True)
    axes = _axes(generator, reduced_dsprites, lookup_classifier)
    assert np.isnan(axes.axes).all() and len(axes.notes) == reduced_dsprites.num_factors
    scores = controllability(generator, lookup_classifier, axes, D, num_codes=200, seed=2)
    assert scores["controllability.score"] == 0.0
    assert all(scores[f"controllability.{n}.target_change"] == 0.0 for n in reduced_dsprites.factor_names)


def test_entangled_axes_score_low(reduced_dsprites, lookup_classifier):
    """Every latent moves every factor (a dense mixing that is not a rotation of a grid): low score."""
    rng = np.random.RandomState(4)
    mixing = np.ones((D, D)) / np.sqrt(D) + 0.05 * rng.standard_normal((D, D))
    generator = QuantisedGenerator(reduced_dsprites, D, rotation=mixing)
    axes = _axes(generator, reduced_dsprites, lookup_classifier)
    scores = controllability(generator, lookup_classifier, axes, D, num_codes=200, seed=2)
    assert scores["controllability.score"] < 0.5, scores


def test_untrusted_factor_is_nan_with_a_warning(reduced_dsprites, lookup_classifier):
    generator = QuantisedGenerator(reduced_dsprites, D)
    axes = _axes(generator, reduced_dsprites, lookup_classifier)
    accuracy = {**lookup_classifier.accuracy, "orientation": 0.2}
    with pytest.warns(UserWarning, match=r"orientation is NaN.*0\.20.*below the trust threshold"):
        scores = controllability(generator, lookup_classifier, axes, D, num_codes=100, accuracy=accuracy)
    assert np.isnan(scores["controllability.orientation"])
    assert scores["controllability.num_factors"] == reduced_dsprites.num_factors - 1
    assert np.isfinite(scores["controllability.score"])
    weak = {name: 0.1 for name in accuracy}
    with pytest.warns(UserWarning) as caught:
        scores = controllability(generator, lookup_classifier, axes, D, num_codes=100, accuracy=weak)
    assert any("not trusted for any factor" in str(w.message) for w in caught)
    assert np.isnan(scores["controllability.score"])


def test_decorrelate_projects_out_locked_axes():
    axes = np.array([[1.0, 0.0, 0.0], [np.sqrt(0.5), np.sqrt(0.5), 0.0], [0.0, 0.0, 1.0]])
    out = decorrelate(axes, locked=[0])
    np.testing.assert_allclose(out[1], [0.0, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(out[0], axes[0])  # a locked axis is not projected on itself
    np.testing.assert_allclose(decorrelate(axes, locked=[]), axes)
    both = decorrelate(np.array([[1.0, 0.0], [1.0, 0.0]]), locked=[0, 1])
    assert np.isnan(both).all()  # each lies in the other's span
