"""Row lookup for data sets whose stored order is not the factor order (docs/reference/data.md §4.1).

SmallNORB stores its images in the order of its distribution files, and our Cars3D cache stores
them file by file; neither is the mixed-radix factor order (last factor fastest) that
``factors_to_index`` assumes. ``RowIndex`` is the reference's ``StateSpaceAtomIndex``: built from
the data set's own feature columns (one row of factor indices per stored image), it maps every
full factor vector to the row holding its image.

Unlike the reference, which only raises when a grid point is missing, the index is validated to
cover the full grid **exactly once**: a missing or a duplicated factor combination is a corrupted
or wrong file, and sampling from it would silently return the wrong image.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from disentbench.datasets.base import factor_bases, factors_to_index
from disentbench.errors import DataFileError


class RowIndex:
    """Mixed-radix factor index -> row of the image array, from the file's feature columns.

    ``features``: int ``(n, K)``, row ``r`` = the factor indices of stored image ``r`` (all
    factors, nuisance ones included). ``source`` names the file(s) in error messages.
    """

    def __init__(self, factor_sizes: Sequence[int], features: np.ndarray, *, source: str = "data file"):
        self.factor_sizes = tuple(int(s) for s in factor_sizes)
        features = np.asarray(features)
        k = len(self.factor_sizes)
        if features.ndim != 2 or features.shape[1] != k or features.dtype.kind not in "iu":
            raise DataFileError(
                f"{source}: feature columns must be an integer array of shape (n, {k}); "
                f"found {features.dtype} {features.shape}"
            )
        features = features.astype(np.int64, copy=False)
        sizes = np.asarray(self.factor_sizes, dtype=np.int64)
        bad = np.flatnonzero(np.any((features < 0) | (features >= sizes), axis=1))
        if bad.size:
            raise DataFileError(
                f"{source}: {bad.size} image(s) have factor values outside the grid "
                f"{list(self.factor_sizes)} (first: row {int(bad[0])} = {features[bad[0]].tolist()})"
            )
        total = int(np.prod(sizes))
        flat = features @ factor_bases(self.factor_sizes)
        counts = np.bincount(flat, minlength=total)
        missing = np.flatnonzero(counts == 0)
        repeated = np.flatnonzero(counts > 1)
        if missing.size or repeated.size:
            parts = []
            if missing.size:
                first = _unravel(int(missing[0]), self.factor_sizes)
                parts.append(f"{missing.size} factor combination(s) missing (first: {first})")
            if repeated.size:
                first = _unravel(int(repeated[0]), self.factor_sizes)
                parts.append(f"{repeated.size} present more than once (first: {first})")
            raise DataFileError(
                f"{source}: the images do not cover the factor grid {list(self.factor_sizes)} "
                f"exactly once: {'; '.join(parts)} ({features.shape[0]} images for {total} "
                "combinations); the file is incomplete or not the official one"
            )
        self.table = np.empty(total, dtype=np.int64)
        self.table[flat] = np.arange(features.shape[0], dtype=np.int64)

    def rows(self, factors: np.ndarray) -> np.ndarray:
        """Rows of the image array holding the full factor vectors ``(n, K)``."""
        return self.table[factors_to_index(factors, self.factor_sizes)]


def _unravel(index: int, sizes: Sequence[int]) -> list[int]:
    return [int(v) for v in np.unravel_index(index, tuple(sizes))]
