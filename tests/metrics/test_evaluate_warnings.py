"""scikit-learn's convergence warnings are counted into the scores, not printed."""

from __future__ import annotations

import threading
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

from disentbench.metrics.evaluate import _counted_convergence_warnings


def test_convergence_warnings_are_counted_and_others_pass_through():
    def unconverged_fit() -> None:
        warnings.warn("lbfgs failed to converge", ConvergenceWarning, stacklevel=1)

    with pytest.warns(UserWarning, match="something else") as shown:
        with _counted_convergence_warnings() as count:
            for _ in range(3):
                unconverged_fit()  # the same line each time: every occurrence counts
            worker = threading.Thread(target=unconverged_fit)  # as in joblib's thread pool
            worker.start()
            worker.join()
            warnings.warn("something else", UserWarning, stacklevel=1)
    assert count[0] == 4
    assert not [w for w in shown if issubclass(w.category, ConvergenceWarning)]
