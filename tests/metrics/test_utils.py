"""Shared metric helpers (docs/reference/metrics.md §1.5): sampling order, discretiser, discrete MI,
checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import mutual_info_score

from disentbench.datasets.base import GroundTruthData
from disentbench.datasets.dummy import IdentityObservationsData
from disentbench.metrics import utils


class _ColumnwiseData(GroundTruthData):
    """Factors drawn column by column (as the real data sets), so chunking changes the sample."""

    @property
    def factor_names(self) -> list[str]:
        return ["a", "b", "c"]

    @property
    def factors_num_values(self) -> list[int]:
        return [3, 5, 7]

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (3, 1, 1)

    def sample_observations_from_factors(self, factors, random_state):
        noise = random_state.uniform(size=(factors.shape[0], 1))  # consumes the stream, like noisy data
        return factors.astype(np.float64) + noise


def test_reference_unit_tests() -> None:
    rows = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.6, 0.5, 0.4, 0.3, 0.2, 0.1]])
    np.testing.assert_array_equal(
        utils.histogram_discretize(rows, 3), [[1, 1, 2, 2, 3, 3], [3, 3, 2, 2, 1, 1]]
    )
    xs = np.array([[1, 2, 1, 2], [1, 1, 2, 2]])
    ys = np.array([[1, 2, 1, 2], [2, 2, 1, 1]])
    np.testing.assert_allclose(
        utils.discrete_mutual_info(xs, ys), [[np.log(2), 0], [0, np.log(2)]], atol=1e-15
    )
    assert utils.discrete_entropy(np.array([[1, 1, 2, 2, 3, 3]]))[0] == pytest.approx(np.log(3), abs=1e-15)
    data = np.array([[1.0, 2.0, 3.0], [4.0, 4.0, 10.0]])
    norm, mean, std = utils.normalize_data(data)
    np.testing.assert_allclose(mean, [2.0, 6.0])
    np.testing.assert_allclose(std, np.std(data, axis=1))
    np.testing.assert_allclose(norm.mean(axis=1), 0, atol=1e-15)
    again, _, _ = utils.normalize_data(data + 1, mean, std)
    np.testing.assert_allclose(again, norm + 1 / std[:, None])


def test_discretizer_keeps_dtype_and_labels_constant_rows_11() -> None:
    x = np.random.RandomState(0).rand(3, 50).astype(np.float32)
    x[1] = 0.25
    out = utils.histogram_discretize(x, 20)
    assert out.dtype == np.float32
    assert set(np.unique(out[1])) == {11.0}
    assert out[0].min() == 1 and out[0].max() == 20


@settings(max_examples=60, deadline=None)
@given(
    lo=st.floats(-1e3, 1e3),
    width=st.floats(1e-3, 1e3),
    bins=st.integers(1, 30),
    seed=st.integers(0, 2**31 - 1),
)
def test_discretizer_matches_numpy_histogram_at_bin_boundaries(lo, width, bins, seed) -> None:
    rs = np.random.RandomState(seed)
    edges = np.histogram_bin_edges(np.array([lo, lo + width]), bins)
    # Points exactly on every edge plus random interior points (min and max stay lo, lo+width).
    row = np.concatenate([edges, lo + width * rs.rand(40)])
    rs.shuffle(row)
    labels = utils.histogram_discretize(row[None, :], bins)[0].astype(int)
    reference = np.digitize(row, np.histogram(row, bins)[1][:-1])
    np.testing.assert_array_equal(labels, reference)
    # Each label's count is numpy's histogram count of that bin (last bin closed).
    np.testing.assert_array_equal(np.bincount(labels - 1, minlength=bins), np.histogram(row, bins)[0])


@pytest.mark.filterwarnings("ignore:Clustering metrics expects discrete values")
@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 300),
    ka=st.integers(1, 12),
    kb=st.integers(1, 12),
    seed=st.integers(0, 2**31 - 1),
)
def test_discrete_mutual_info_is_bit_identical_to_sklearn(n, ka, kb, seed) -> None:
    rs = np.random.RandomState(seed)
    mus = rs.randint(0, ka, size=(3, n)).astype(np.float64) * 0.5 - 2
    ys = rs.randint(0, kb, size=(2, n))
    m = utils.discrete_mutual_info(mus, ys)
    expected = np.array([[mutual_info_score(ys[j], mus[i]) for j in range(2)] for i in range(3)])
    np.testing.assert_array_equal(m, expected)
    h = utils.discrete_entropy(ys)
    np.testing.assert_array_equal(h, [mutual_info_score(r, r) for r in ys])


def test_discrete_mutual_info_shape_errors() -> None:
    with pytest.raises(ValueError, match="discrete_mutual_info"):
        utils.discrete_mutual_info(np.zeros((2, 5)), np.zeros((2, 6)))


def _reference_loop(data, fn, num_points, rs, batch_size):
    codes, factors = [], []
    i = 0
    while i < num_points:
        n = min(num_points - i, batch_size)
        f, obs = data.sample(n, rs)
        factors.append(f)
        codes.append(fn(obs))
        i += n
    return np.concatenate(codes).T, np.concatenate(factors).T


@pytest.mark.parametrize("encode_batch_size", [1, 16, 50, 1024])
def test_generate_batch_factor_code_matches_reference_order(encode_batch_size: int) -> None:
    data = _ColumnwiseData()
    calls = []

    def rep(x):
        calls.append(len(x))
        return np.hstack([x, x**2])

    z, y = utils.generate_batch_factor_code(
        data, rep, 101, np.random.RandomState(3), batch_size=16, encode_batch_size=encode_batch_size
    )
    z_ref, y_ref = _reference_loop(data, lambda x: np.hstack([x, x**2]), 101, np.random.RandomState(3), 16)
    assert z.shape == (6, 101) and y.shape == (3, 101)
    np.testing.assert_array_equal(z, z_ref)
    np.testing.assert_array_equal(y, y_ref)
    assert sum(calls) == 101
    # Chunk size matters for column-wise sampling: one call of 101 is a different sample.
    _, y_one = _reference_loop(data, lambda x: x, 101, np.random.RandomState(3), 101)
    assert not np.array_equal(y_one, y_ref)


def test_generate_batch_factor_code_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="num_points"):
        utils.generate_batch_factor_code(IdentityObservationsData(), lambda x: x, 0, np.random.RandomState(0))


def test_input_checks_name_the_field() -> None:
    with pytest.raises(ValueError, match="codes must be a 2-D"):
        utils.check_codes(np.zeros(5))
    with pytest.raises(ValueError, match="codes contains NaN"):
        utils.check_codes(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="factors_test has 3 points but the codes have 4"):
        utils.check_codes_factors(np.zeros((4, 2)), np.zeros((3, 1)), "_test")
    c, f = utils.check_codes_factors(np.zeros((4, 2), dtype=np.float32), np.arange(4))
    assert c.dtype == np.float64 and f.shape == (4, 1)


def test_encode_checks_the_representation_function() -> None:
    data = IdentityObservationsData()
    rs = np.random.RandomState(0)
    with pytest.raises(ValueError, match=r"returned shape \(10,\) for 10 observations"):
        utils.generate_batch_factor_code(data, lambda x: x[:, 0], 10, rs)
    with pytest.raises(ValueError, match="NaN or infinite"):
        utils.generate_batch_factor_code(data, lambda x: x * np.nan, 10, rs)


def test_as_random_state() -> None:
    rs = np.random.RandomState(1)
    assert utils.as_random_state(rs) is rs
    assert utils.as_random_state(5).randint(100) == np.random.RandomState(5).randint(100)
    with pytest.raises(TypeError, match="random_state"):
        utils.as_random_state("0")


@pytest.mark.parametrize("score", ["sap", "modularity_explicitness", "dci", "downstream"])
def test_train_and_test_widths_must_agree(score):
    import disentbench.metrics as metrics

    rs = np.random.RandomState(0)
    codes, factors = rs.randn(20, 3), rs.randint(2, size=(20, 2))
    with pytest.raises(ValueError, match="differ in width: codes 3 vs 2"):
        getattr(metrics, score)(codes, factors, codes[:, :2], factors)
