"""All scores of one representation function in one call (docs/architecture.md, Metrics).

``evaluate(data, representation_function)`` runs every configured score with the preset's
parameters and returns one flat ``dict``: ``<metric>.<key>`` for the scores (the reference's key
names), ``time.<metric>`` (seconds), ``meta.*`` (preset and its notes, sklearn semantics and
version, representation kind, the seed of every metric) and, for a score that raised,
``error.<metric>`` with the message (its keys are then NaN; the other scores still run).

Seeds (docs/reference/study.md §3.2, docs/reference/metrics.md §1.3): by default every metric gets the seed
the reference's ``dlib_reproduce`` gave it — the same for every model, different for the ``mean`` and
``sampled`` representations — so every model is scored on the same samples. An int seed policy derives the
seeds the same way from ``RandomState(seed)`` (``seeds=0`` is the reference's). IRS, which is not
in the study, gets the two draws that follow the study's 18.

Progress and warnings: ``progress`` receives an :class:`EvaluationProgress` when each score starts,
after each block of observations it encodes, and when it ends. scikit-learn's
``ConvergenceWarning`` (hundreds of unconverged fits per model are normal for the reference's
estimators) is counted into ``meta.convergence_warnings`` instead of printed.

Encoder calls: the sampling helpers draw points in the reference's chunks (16 points, or 64-image
batches for BetaVAE / FactorVAE) but call the representation function on up to 1024 observations
at once; each sampled pool is encoded exactly once.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning

from disentbench.datasets.base import GroundTruthData
from disentbench.errors import UserError
from disentbench.metrics import estimators
from disentbench.metrics.beta_vae import compute_beta_vae
from disentbench.metrics.dci import compute_dci
from disentbench.metrics.downstream import compute_downstream
from disentbench.metrics.factor_vae import compute_factor_vae
from disentbench.metrics.irs import compute_irs
from disentbench.metrics.mig import compute_mig
from disentbench.metrics.modularity_explicitness import compute_modularity_explicitness
from disentbench.metrics.presets import Preset, get_preset
from disentbench.metrics.sap import compute_sap
from disentbench.metrics.unsupervised import compute_unsupervised
from disentbench.metrics.utils import RepresentationFunction
from disentbench.seeds import REFERENCE_MASTER_SEED, REPRESENTATIONS, metric_seed_table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluationProgress:
    """Where :func:`evaluate` is: a score started, encoded a block of observations, or ended."""

    metric: str
    #: 1-based position of ``metric`` among the scores run, and their number.
    index: int
    total: int
    #: ``start``, ``block`` (one call of the representation function) or ``done``.
    event: str
    #: Observations this score has encoded so far.
    encoded: int
    #: Seconds since this score started.
    seconds: float


ProgressCallback = Callable[[EvaluationProgress], None]


@dataclass(frozen=True)
class MetricSpec:
    """How ``evaluate`` runs one score."""

    compute: Callable[..., dict[str, float]]
    #: The reference's config file name (sets the order of the seed draws).
    reference_config: str
    #: Keys reported as NaN when the score fails (the main keys).
    keys: tuple[str, ...]
    uses_sklearn_semantics: bool = False
    uses_n_jobs: bool = False
    #: Fits the study's ``GradientBoostingClassifier`` (takes ``gbt_implementation``).
    uses_gbt: bool = False


#: The one registry of scores (name -> spec), in the order ``evaluate`` runs them.
METRICS: Mapping[str, MetricSpec] = {
    "beta_vae": MetricSpec(
        compute_beta_vae,
        "beta_vae_sklearn",
        ("train_accuracy", "eval_accuracy"),
        uses_sklearn_semantics=True,
    ),
    "factor_vae": MetricSpec(
        compute_factor_vae, "factor_vae_metric", ("train_accuracy", "eval_accuracy", "num_active_dims")
    ),
    "mig": MetricSpec(compute_mig, "mig", ("discrete_mig",)),
    "dci": MetricSpec(
        compute_dci,
        "dci",
        ("disentanglement", "completeness", "informativeness_train", "informativeness_test"),
        uses_n_jobs=True,
        uses_gbt=True,
    ),
    "sap": MetricSpec(compute_sap, "sap_score", ("SAP_score",), uses_sklearn_semantics=True),
    "modularity_explicitness": MetricSpec(
        compute_modularity_explicitness,
        "modularity_explicitness",
        ("modularity_score", "explicitness_score_train", "explicitness_score_test"),
        uses_sklearn_semantics=True,
    ),
    "unsupervised": MetricSpec(
        compute_unsupervised,
        "unsupervised",
        (
            "gaussian_total_correlation",
            "gaussian_wasserstein_correlation",
            "gaussian_wasserstein_correlation_norm",
            "mutual_info_score",
        ),
    ),
    "downstream_logistic_regression": MetricSpec(
        compute_downstream,
        "downstream_task_logistic_regression",
        (),
        uses_sklearn_semantics=True,
        uses_n_jobs=True,
    ),
    "downstream_boosted_trees": MetricSpec(
        compute_downstream,
        "downstream_task_boosted_trees",
        (),
        uses_sklearn_semantics=True,
        uses_n_jobs=True,
        uses_gbt=True,
    ),
    "irs": MetricSpec(compute_irs, "irs", ("IRS", "num_active_dims")),
}

#: Every score ``evaluate`` knows, in run order.
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)

#: The study's nine scores (the default); IRS is opt-in.
STUDY_METRICS: tuple[str, ...] = tuple(m for m in METRIC_NAMES if m != "irs")


def metric_seeds_for(master_seed: int = REFERENCE_MASTER_SEED) -> dict[str, dict[str, int]]:
    """Per-representation, per-metric evaluation seeds, drawn as ``dlib_reproduce`` draws them.

    The draw order is ``disentbench.seeds.metric_seed_table``'s, with the study metrics' reference
    config names and IRS (not in the study) last. With ``master_seed=0`` these are the seeds of
    docs/reference/study.md §3.2.
    """
    configs = {metric: METRICS[metric].reference_config for metric in STUDY_METRICS}
    return metric_seed_table(configs, master_seed, extra=("irs",))


def resolve_seeds(
    seeds: str | int | Mapping[str, int], representation: str, metrics: Sequence[str]
) -> dict[str, int]:
    """The seed of each metric: ``"reference"``, an int master seed, or an explicit mapping."""
    if isinstance(seeds, Mapping):
        missing = [m for m in metrics if m not in seeds]
        if missing:
            raise UserError(f"seeds: no seed given for metric(s) {', '.join(missing)}")
        return {m: int(seeds[m]) for m in metrics}
    if isinstance(seeds, str):
        if seeds != "reference":
            raise UserError(f"seeds must be 'reference', an int or a mapping; got {seeds!r}")
        master = REFERENCE_MASTER_SEED
    elif isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 0:
            raise UserError(f"seeds must be a non-negative int, got {seeds}")
        master = int(seeds)
    else:
        raise UserError(f"seeds must be 'reference', an int or a mapping; got {seeds!r}")
    table = metric_seeds_for(master)[representation]
    return {m: table[m] for m in metrics}


def _check_metrics(metrics: Sequence[str] | None) -> list[str]:
    if metrics is None:
        return list(STUDY_METRICS)
    if isinstance(metrics, str):
        metrics = [metrics]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise UserError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(METRIC_NAMES)}")
    # Keep the registry's order; drop duplicates.
    return [m for m in METRIC_NAMES if m in set(metrics)]


def _failure_keys(metric: str, params: Mapping[str, Any], data: GroundTruthData) -> list[str]:
    """The main keys of ``metric`` (reported as NaN when it fails)."""
    if metric.startswith("downstream_"):
        sizes = params.get("num_train", (10, 100, 1000, 10000))
        stats = ("mean_train_accuracy", "mean_test_accuracy", "min_train_accuracy", "min_test_accuracy")
        return [f"{n}:{s}" for n in sizes for s in stats]
    return list(METRICS[metric].keys)


def _estimator_note(metric: str, params: Mapping[str, Any]) -> str | None:
    """A readable description of a non-default estimator choice, recorded in ``meta``."""
    extra = params.get("estimator_params")
    predictor = params.get("predictor")
    if metric == "dci" and extra:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(extra.items()))
        return f"GradientBoostingClassifier({args})"
    if metric.startswith("downstream_") and (extra or predictor == "hist_gradient_boosting"):
        names = {
            "logistic_regression_cv": "LogisticRegressionCV",
            "gradient_boosting": "GradientBoostingClassifier",
            "hist_gradient_boosting": "HistGradientBoostingClassifier",
        }
        args = ", ".join(f"{k}={v!r}" for k, v in sorted((extra or {}).items()))
        note = f"{names.get(predictor, predictor)}({args})"
        if params.get("estimator_params_min_train"):
            note += f" for training sizes >= {params['estimator_params_min_train']}"
        return note
    return None


def evaluate(
    data: GroundTruthData,
    representation_function: RepresentationFunction,
    *,
    preset: str | Preset = "paper",
    metrics: Sequence[str] | None = None,
    representation: str = "mean",
    seeds: str | int | Mapping[str, int] = "reference",
    sklearn_semantics: str = "modern",
    gbt_implementation: str = "disentbench",
    progress: ProgressCallback | None = None,
    n_jobs: int | None = 1,
) -> dict[str, Any]:
    """Every configured score of ``representation_function`` on ``data``, as one flat dict.

    ``metrics`` defaults to the study's nine (:data:`STUDY_METRICS`); ``representation``
    (``mean``/``sampled``) selects the reference seed table; ``n_jobs`` is the number of parallel
    classifier fits of DCI and the downstream tasks (values do not depend on it);
    ``gbt_implementation`` whose ``GradientBoostingClassifier`` DCI and the boosted-trees task fit
    (``disentbench``: the same trees as sklearn's, several times faster). A score that
    raises is reported as NaN with ``error.<metric>`` and a ``RuntimeWarning``; bad arguments
    raise ``UserError`` before any work.
    """
    chosen = get_preset(preset)
    names = _check_metrics(metrics)
    if representation not in REPRESENTATIONS:
        raise UserError(f"representation must be one of {', '.join(REPRESENTATIONS)}; got {representation!r}")
    try:
        estimators.check_sklearn_semantics(sklearn_semantics)
        estimators.check_gbt_implementation(gbt_implementation)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    metric_seeds = resolve_seeds(seeds, representation, names)

    out: dict[str, Any] = {
        "meta.preset": chosen.name,
        "meta.preset_notes": chosen.notes,
        "meta.sklearn_semantics": sklearn_semantics,
        "meta.sklearn_version": sklearn.__version__,
        "meta.gbt_implementation": gbt_implementation,
        "meta.representation": representation,
        "meta.seeds": "custom" if isinstance(seeds, Mapping) else str(seeds),
    }
    total = len(names)
    with _counted_convergence_warnings() as convergence:
        for index, metric in enumerate(names, start=1):
            spec = METRICS[metric]
            params = chosen.params_for(metric)
            if spec.uses_sklearn_semantics:
                params["sklearn_semantics"] = sklearn_semantics
            if spec.uses_n_jobs:
                params["n_jobs"] = n_jobs
            if spec.uses_gbt and params.get("predictor", "gradient_boosting") == "gradient_boosting":
                params["gbt_implementation"] = gbt_implementation
            seed = metric_seeds[metric]
            out[f"meta.seed.{metric}"] = seed
            note = _estimator_note(metric, params)
            if note:
                out[f"meta.estimator.{metric}"] = note
            log.info("evaluating %s (%d/%d, seed %d, preset %s)", metric, index, total, seed, chosen.name)
            tracker = _ScoreProgress(metric, index, total, progress)
            try:
                scores = spec.compute(
                    data, tracker.wrap(representation_function), np.random.RandomState(seed), **params
                )
            except Exception as exc:  # one failing score must not kill the evaluation
                message = f"{type(exc).__name__}: {exc}"
                warnings.warn(
                    f"score {metric} failed and is reported as NaN: {message}", RuntimeWarning, stacklevel=2
                )
                log.warning("score %s failed: %s", metric, message)
                out[f"error.{metric}"] = message
                scores = dict.fromkeys(_failure_keys(metric, params, data), math.nan)
            elapsed = tracker.done()
            for key, value in scores.items():
                out[f"{metric}.{key}"] = float(value)
            out[f"time.{metric}"] = elapsed
            log.info("%s done in %.1f s", metric, elapsed)
    out["meta.convergence_warnings"] = convergence[0]
    if convergence[0]:
        log.info("%d scikit-learn convergence warning(s) while scoring %s", convergence[0], representation)
    return out


class _ScoreProgress:
    """Times one score and tells ``progress`` about its start, encoded blocks and end."""

    def __init__(self, metric: str, index: int, total: int, progress: ProgressCallback | None) -> None:
        self.metric, self.index, self.total, self.progress = metric, index, total, progress
        self.encoded = 0
        self.start = time.perf_counter()
        self._tell("start")

    def _tell(self, event: str) -> None:
        if self.progress is not None:
            seconds = time.perf_counter() - self.start
            self.progress(
                EvaluationProgress(self.metric, self.index, self.total, event, self.encoded, seconds)
            )

    def wrap(self, function: RepresentationFunction) -> RepresentationFunction:
        """``function``, counting what it encodes (itself when nobody listens)."""
        if self.progress is None:
            return function

        def encode(observations: np.ndarray) -> np.ndarray:
            codes = function(observations)
            self.encoded += len(observations)
            self._tell("block")
            return codes

        return encode

    def done(self) -> float:
        """Seconds the score took; tells ``progress`` it ended."""
        elapsed = time.perf_counter() - self.start
        self._tell("done")
        return elapsed


@contextlib.contextmanager
def _counted_convergence_warnings() -> Iterator[list[int]]:
    """Count scikit-learn's ``ConvergenceWarning`` (every occurrence) instead of printing it.

    Counts the warnings of this process, its threads included (joblib's thread pools). Fits run
    in joblib worker processes (``n_jobs`` > 1 with a process backend) warn in those processes
    and are not counted. Other warnings are passed on when the evaluation ends.
    """
    count = [0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        yield count
    for item in caught:
        if issubclass(item.category, ConvergenceWarning):
            count[0] += 1
        else:  # shown now, through the caller's filters and handlers
            warnings.warn_explicit(
                item.message, item.category, item.filename, item.lineno, source=item.source
            )
