"""Named evaluation presets: the study's settings (``paper``), a faster variant (``fast``) and
pipeline-check sizes (``smoke``).

A preset is data: for each metric name, the keyword arguments passed to its ``compute_<name>``
function, plus a note on what it changes. ``evaluate`` records the preset's name and notes in
every result (``meta.preset``, ``meta.preset_notes``), so a faster variant is never a silent
change (docs/style.md §1).

``paper`` is docs/reference/metrics.md §2-§10 / docs/reference/study.md §3.2 exactly: every function default
is the study's.

``fast`` (chosen by ``benchmarks/bench_metrics.py``, which checks Spearman >= 0.95 against
``paper`` over differently entangled representations for every score it changes):

* BetaVAE / FactorVAE scores: a fifth of the labelled points (2000 train, 1000 eval; FactorVAE
  variances from 2000 observations). Same classifiers.
* DCI: 2000 / 1000 points and ``GradientBoostingClassifier(n_estimators=20)`` — the study's
  boosting cut to a fifth of its stages, so still its exact impurity importances, which define
  DCI's disentanglement and completeness (a histogram booster has none, and other importance
  definitions change the values, docs/reference/metrics.md §14). Fewer but larger steps (10 stages, learning
  rate 0.5) overshot on clean codes: test informativeness 0.46 where the study's gives 0.80.
* SAP: 5000 / 2500 points.
* downstream logistic regression: the same training sizes and keys, 1000 test points instead of
  5000, ``LogisticRegressionCV`` with every third C of the study's grid (1e-4, 0.046, 21.5, 1e4)
  and 3-fold CV (12 fits per factor instead of 50). Boosted trees: the study's task up to 1000
  training points (same samples, same values as ``paper``), 20 boosting stages at 10,000.
* MIG, modularity / explicitness, unsupervised scores, IRS: unchanged (already fast; at 5000
  points modularity's ranking moved, Spearman 0.74).

``smoke`` is for checking that a pipeline runs (a new study file, a plugin, a cluster, the test
suite's end-to-end runs), not for numbers: every score runs its full code path on few points
(1000 for the observational scores, 100 + 50 votes of 16-image batches for BetaVAE / FactorVAE,
10-stage boosting, downstream training sizes 10, 100 and 1000): all ten scores of a small model
take about ten seconds on one CPU core; MIG alone takes 0.3 s where ``paper`` and ``fast`` take 4.
Its values are noise-dominated and no ranking is checked; records name it (``meta.preset``), the
report's overview lists each table's presets, and placing an external model compares only rows of
the same preset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

from disentbench.errors import UserError


@dataclass(frozen=True)
class Preset:
    """Per-metric keyword arguments for ``compute_<metric>``; missing metrics use the defaults."""

    name: str
    notes: str
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def params_for(self, metric: str) -> dict[str, Any]:
        """A fresh copy of the keyword arguments for ``metric`` (empty: the study's defaults)."""
        return dict(self.params.get(metric, {}))


PAPER = Preset(
    name="paper",
    notes="study sizes and estimators (docs/reference/metrics.md §2-§10, docs/reference/study.md §3.2)",
    params={
        "downstream_logistic_regression": {"predictor": "logistic_regression_cv"},
        "downstream_boosted_trees": {"predictor": "gradient_boosting"},
    },
)

FAST = Preset(
    name="fast",
    notes=(
        "beta_vae/factor_vae 2000 train, 1000 eval points; dci 2000/1000 points with "
        "GradientBoostingClassifier(n_estimators=20); sap 5000/2500 points; downstream logistic "
        "regression 1000 test points with LogisticRegressionCV(Cs=every third C of "
        "the study's 10, cv=KFold(3)), boosted trees = the study's task up to 1000 training points "
        "and GradientBoostingClassifier(n_estimators=20) at 10000; mig, "
        "modularity_explicitness, unsupervised, irs as in paper. Values "
        "of changed scores are not the reference's; rankings agree (Spearman >= 0.95, "
        "benchmarks/bench_metrics.py)"
    ),
    params={
        "beta_vae": {"num_train": 2000, "num_eval": 1000},
        "factor_vae": {"num_train": 2000, "num_eval": 1000, "num_variance_estimate": 2000},
        "dci": {
            "num_train": 2000,
            "num_test": 1000,
            "estimator_params": {"n_estimators": 20},
        },
        "sap": {"num_train": 5000, "num_test": 2500},
        "downstream_logistic_regression": {
            "predictor": "logistic_regression_cv",
            "num_test": 1000,
            # Every third C of the study's grid logspace(-4, 4, 10), 3-fold CV: 12 fits, not 50.
            "estimator_params": {"Cs": np.logspace(-4, 4, 10)[::3].tolist(), "cv": KFold(n_splits=3)},
        },
        "downstream_boosted_trees": {
            "predictor": "gradient_boosting",
            # The study's 5000 test points and 100-stage boosting up to 1000 training points: those
            # keys equal paper's (at 10 points, 1000 test points reordered near-equal accuracies,
            # Spearman 0.905). 20 stages at 10,000 training points.
            "estimator_params": {"n_estimators": 20},
            "estimator_params_min_train": 10000,
        },
    },
)

SMOKE = Preset(
    name="smoke",
    notes=(
        "pipeline checks, not numbers: beta_vae/factor_vae 100 train, 50 eval votes of 16-image "
        "batches (factor_vae variances from 1000 observations); mig, sap, "
        "modularity_explicitness, unsupervised, irs 1000 points (sap, modularity_explicitness "
        "500 test); dci 1000/500 points with GradientBoostingClassifier(n_estimators=10); "
        "downstream tasks at training sizes 10, 100, 1000 with 500 test points, "
        "LogisticRegressionCV(Cs=every third C of the study's 10, cv=KFold(3)) and "
        "GradientBoostingClassifier(n_estimators=10)"
    ),
    params={
        "beta_vae": {"batch_size": 16, "num_train": 100, "num_eval": 50},
        "factor_vae": {"batch_size": 16, "num_train": 100, "num_eval": 50, "num_variance_estimate": 1000},
        "mig": {"num_train": 1000},
        "dci": {"num_train": 1000, "num_test": 500, "estimator_params": {"n_estimators": 10}},
        "sap": {"num_train": 1000, "num_test": 500},
        "modularity_explicitness": {"num_train": 1000, "num_test": 500},
        "unsupervised": {"num_train": 1000},
        "irs": {"num_train": 1000},
        "downstream_logistic_regression": {
            "predictor": "logistic_regression_cv",
            "num_train": (10, 100, 1000),
            "num_test": 500,
            "estimator_params": {"Cs": np.logspace(-4, 4, 10)[::3].tolist(), "cv": KFold(n_splits=3)},
        },
        "downstream_boosted_trees": {
            "predictor": "gradient_boosting",
            "num_train": (10, 100, 1000),
            "num_test": 500,
            "estimator_params": {"n_estimators": 10},
        },
    },
)

#: The one registry of presets (name -> :class:`Preset`).
PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in (PAPER, FAST, SMOKE)})


def get_preset(preset: str | Preset) -> Preset:
    """The preset named ``preset`` (or ``preset`` itself); ``UserError`` naming the choices."""
    if isinstance(preset, Preset):
        return preset
    try:
        return PRESETS[preset]
    except (KeyError, TypeError):
        raise UserError(f"preset must be one of {', '.join(PRESETS)}; got {preset!r}") from None
