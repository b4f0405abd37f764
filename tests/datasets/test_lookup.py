"""``RowIndex``: factor vectors -> rows of an image array stored in another order."""

from __future__ import annotations

import numpy as np
import pytest

from disentbench.datasets.base import index_to_factors
from disentbench.datasets.lookup import RowIndex
from disentbench.errors import DataFileError

SIZES = (3, 4, 2, 5)


def _shuffled_grid(seed: int = 0) -> np.ndarray:
    grid = index_to_factors(np.arange(int(np.prod(SIZES))), SIZES)
    return grid[np.random.RandomState(seed).permutation(len(grid))]


def test_rows_invert_the_stored_order():
    features = _shuffled_grid()
    index = RowIndex(SIZES, features)
    assert np.array_equal(index.rows(features), np.arange(len(features)))
    query = features[[5, 0, 5, 119]]
    assert index.rows(query).tolist() == [5, 0, 5, 119]


def test_missing_combination_is_named():
    features = _shuffled_grid()[1:]
    with pytest.raises(DataFileError, match=r"norb.mat: .*1 factor combination\(s\) missing \(first: \["):
        RowIndex(SIZES, features, source="norb.mat")


def test_duplicate_is_named_even_when_the_count_is_right():
    features = _shuffled_grid()
    features[3] = features[4]
    with pytest.raises(DataFileError, match=r"1 factor combination\(s\) missing .*1 present more than once"):
        RowIndex(SIZES, features)


def test_out_of_range_and_wrong_shape():
    features = _shuffled_grid()
    features[7, 3] = 5
    with pytest.raises(DataFileError, match=r"outside the grid \[3, 4, 2, 5\] \(first: row 7"):
        RowIndex(SIZES, features)
    with pytest.raises(DataFileError, match=r"shape \(n, 4\)"):
        RowIndex(SIZES, _shuffled_grid()[:, :3])
    with pytest.raises(DataFileError, match="integer array"):
        RowIndex(SIZES, _shuffled_grid().astype(float))
