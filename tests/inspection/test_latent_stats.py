"""Per-dimension KL and the KL order of the traversals."""

from __future__ import annotations

import numpy as np

from disentbench.inspection.latent_stats import kl_order, latent_statistics, per_dimension_kl


def test_kl_known_values():
    mean = np.array([[0.0, 1.0, 2.0], [0.0, -1.0, 2.0]])
    logvar = np.array([[0.0, 0.0, np.log(4.0)], [0.0, 0.0, np.log(4.0)]])
    # ½(μ² + σ² − log σ² − 1): 0; ½; ½(4 + 4 − log 4 − 1).
    np.testing.assert_allclose(per_dimension_kl(mean, logvar), [0.0, 0.5, 0.5 * (7 - np.log(4.0))])


def test_order_and_active_dimensions():
    assert kl_order(np.array([0.1, 2.0, 0.1, 0.0])) == [1, 0, 2, 3]
    mean = np.random.RandomState(0).standard_normal((500, 4)) * np.array([3.0, 0.0, 1.0, 0.0])
    stats = latent_statistics(mean, np.zeros_like(mean))
    assert stats["dimension_order"][:2] == [0, 2] and stats["active_dimensions"] == [0, 2]
    np.testing.assert_allclose(stats["code_variance"], [9.0, 0.0, 1.0, 0.0], atol=0.9)
