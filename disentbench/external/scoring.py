"""Score one representation source with the study's metrics and turn the scores into a record.

This is where a trained model meets the scores outside a study: ``disentbench evaluate`` scores
a saved disentbench model (``MODEL_DIR``) or an external encoder (``--encoder``) with
``metrics.evaluate``, under the same evaluation seeds as a study trial, and can write the result
as a normal result record (``results.records.new_record``) into a results directory, so that
``report`` and ``leaderboard`` place it among the study's models.

An external model's record has ``spec.method = "external"``, ``spec.label`` (the name shown in
tables), ``spec.encoder`` (kind, source, sha256, dimension, batch size, timeout, metadata) and no
model number; its trial id is ``<dataset>.external.<label>.<hash>``, the hash covering the
encoder file's sha256 and the evaluation settings, so re-scoring the same file replaces its record.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from disentbench.errors import UserError
from disentbench.external.encoders import CheckedEncoder, EncoderError
from disentbench.results.ids import param_suffix
from disentbench.results.records import new_record

#: The method name of every external model's record.
EXTERNAL_METHOD = "external"
#: Evaluation-seed policies of ``evaluate``: the study's per-metric seeds, or the NeurIPS 2019
#: challenge's ``evaluation.random_seed = 0`` for every score (docs/reference/analyses.md §4).
SEED_POLICIES = ("reference", "challenge")

RepresentationFactory = Callable[[str], Callable[[Any], Any]]


def metric_seeds(policy: str | int, metrics: Sequence[str] | None) -> str | int | dict[str, int]:
    """``metrics.evaluate``'s ``seeds`` for a policy: ``reference``, ``challenge`` or a master seed."""
    if policy == "challenge":
        from disentbench.metrics import STUDY_METRICS

        return dict.fromkeys([*(metrics or STUDY_METRICS)], 0)
    return policy


def postprocess_seed(representation: str) -> int:
    """The seed of the sampled representation's noise: the study's reference post-processing seed."""
    from disentbench.seeds import REFERENCE_POSTPROCESS_SEEDS

    return REFERENCE_POSTPROCESS_SEEDS[representation]


def score_representations(
    data: Any,
    representation_function: RepresentationFactory,
    *,
    representations: Sequence[str],
    preset: str,
    metrics: Sequence[str] | None,
    seeds: str | int | Mapping[str, int],
    sklearn_semantics: str | None,
    encoder: CheckedEncoder | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """``{representation: scores}`` of ``representation_function(kind)`` on ``data``.

    With an external ``encoder``, a failure of the encoder during any score raises its
    :class:`EncoderError` afterwards (``metrics.evaluate`` reports a failing score as NaN and
    goes on; an encoder that broke its contract must not pass as a model with NaN scores).
    """
    from disentbench.metrics import evaluate
    from disentbench.metrics.evaluate import EvaluationProgress

    extra: dict[str, Any] = {}
    if sklearn_semantics is not None:
        extra["sklearn_semantics"] = sklearn_semantics
    out: dict[str, dict[str, Any]] = {}
    say = progress or (lambda _message: None)
    for representation in representations:

        def on_score(event: EvaluationProgress, representation: str = representation) -> None:
            if event.event == "done":
                say(f"{representation}: {event.metric} done ({event.index}/{event.total})")

        scores = evaluate(
            data,
            representation_function(representation),
            preset=preset,
            metrics=list(metrics) if metrics is not None else None,
            representation=representation,
            seeds=seeds,
            progress=on_score,
            **extra,
        )
        if encoder is not None and encoder.error is not None:
            raise encoder.error
        out[representation] = dict(scores)
    return out


def slug(label: str) -> str:
    """``label`` as a file-name-safe piece of a trial id."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-.")
    if not text:
        raise UserError(f"--name {label!r}: expected a label with at least one letter or digit")
    return text


def external_record(
    *,
    label: str,
    dataset: str,
    encoder: CheckedEncoder,
    scores: Mapping[str, Mapping[str, Any]],
    data_provenance: Mapping[str, Any],
    preset: str,
    metrics: Sequence[str] | None,
    seeds: str | int | Mapping[str, int],
    sklearn_semantics: str | None,
    study: str,
    timings: Mapping[str, float],
) -> dict[str, Any]:
    """The completed result record of an external encoder's scores."""
    if encoder.dimension is None:
        raise EncoderError(f"encoder {encoder.encoder.source}: never called, so its dimension is unknown")
    spec = {
        "dataset": dataset,
        "method": EXTERNAL_METHOD,
        "label": label,
        "hyperparameter": None,
        "strength": None,
        "params": {},
        "seed": None,
        "steps": None,
        "batch_size": None,
        "preset": preset,
        "metrics": list(metrics) if metrics is not None else None,
        "representations": list(scores),
        "eval_seeds": seeds if isinstance(seeds, (str, int)) else "challenge",
        "sklearn_semantics": sklearn_semantics,
        "encoder": {
            **encoder.encoder.describe(),
            "dimension": encoder.dimension,
            "batch_size": encoder.batch_size,
            "timeout_seconds": encoder.timeout,
        },
    }
    identity = {k: spec[k] for k in ("dataset", "label", "preset", "metrics", "representations")}
    identity.update(
        sha256=encoder.encoder.sha256,
        source=encoder.encoder.source,
        seeds=spec["eval_seeds"],
        sklearn_semantics=sklearn_semantics,
    )
    trial_id = f"{dataset}.{EXTERNAL_METHOD}.{slug(label)}.{_digest(identity)}"
    return _completed(new_record(spec, trial_id, None, study), scores, data_provenance, timings)


def model_record(
    *,
    model: Any,
    label: str | None,
    scores: Mapping[str, Mapping[str, Any]],
    data_provenance: Mapping[str, Any],
    preset: str,
    metrics: Sequence[str] | None,
    seeds: str | int | Mapping[str, int],
    sklearn_semantics: str | None,
    study: str,
    timings: Mapping[str, float],
) -> dict[str, Any]:
    """The completed result record of a saved disentbench model scored outside a study."""
    from disentbench.models import get_method

    config = model.config
    hyperparameter = get_method(config.method).hyperparameter
    params = config.resolved_params
    spec = {
        "dataset": config.dataset,
        "method": config.method,
        "label": label,
        "hyperparameter": hyperparameter,
        "strength": params.get(hyperparameter),
        "params": params,
        "seed": config.seed,
        "steps": config.steps,
        "batch_size": config.batch_size,
        "preset": preset,
        "metrics": list(metrics) if metrics is not None else None,
        "representations": list(scores),
        "eval_seeds": seeds if isinstance(seeds, (str, int)) else "challenge",
        "sklearn_semantics": sklearn_semantics,
    }
    identity = {k: v for k, v in spec.items() if k != "label"}
    # A weakly-supervised model's k tells it apart as its strength does (as in study trial ids).
    spec["swept"] = list(get_method(config.method).shown_params)
    strength = f"{spec['strength']:g}{param_suffix(params, spec['swept'])}"
    trial_id = f"{config.dataset}.{slug(config.method)}.{strength}.s{config.seed}.{_digest(identity)}"
    record = new_record(spec, trial_id, None, study)
    record["train_results"] = dict(model.training_stats)
    return _completed(record, scores, data_provenance, timings)


def _completed(
    record: dict[str, Any],
    scores: Mapping[str, Mapping[str, Any]],
    data_provenance: Mapping[str, Any],
    timings: Mapping[str, float],
) -> dict[str, Any]:
    record["scores"] = {rep: dict(values) for rep, values in scores.items()}
    record["data"] = dict(data_provenance)
    record["timings"].update(timings)
    record["status"] = "completed"
    record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return record


def _digest(identity: Mapping[str, Any]) -> str:
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:10]
