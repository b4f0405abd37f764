"""Import the reference's aggregated results into a disentbench results directory (README.md).

``dlib_aggregate_results`` of ``disentanglement_lib`` writes one JSON file holding a pandas
DataFrame (``DataFrame.to_json``, default "columns" orientation: ``{column: {row: value}}``),
one row per model evaluation, i.e. per (model, post-processing, metric), with namespaced keys
(docs/reference/study.md, reproduction commands; docs/reference/metrics.md §1.1–1.2):

* ``train_config.<gin binding>``: ``model.name`` (``'beta_vae'``, ``'factor_vae'``, ``'dip_vae_i'``,
  ...; older files ``'vae'`` or ``'dip_vae'`` with ``dip_vae.dip_type``), ``dataset.name``,
  ``model.random_seed``, the swept hyper-parameter (``vae.beta``, ``factor_vae.gamma``,
  ``dip_vae.lambda_od``, ``beta_tc_vae.beta``, ``annealed_vae.c_max``);
* ``postprocess_config.postprocess.postprocess_fn`` (``@mean_representation`` /
  ``@sampled_representation``) or ``postprocess_config.postprocess.name``;
* ``evaluation_config.evaluation.evaluation_fn`` (``@mig``, ``@beta_vae_sklearn``, ...; the
  downstream task's predictor in ``evaluation_config.predictor.predictor_fn``) or
  ``evaluation_config.evaluation.name``;
* ``evaluation_results.<key>`` (the metric's output) and ``train_results.<key>``.

Gin values arrive as strings with their quotes (``"'beta_vae'"``); they are normalised. The
evaluations of one model (same ``train_config.*``) become one record in the result-record schema
(docs/architecture.md), built with ``records.new_record`` and written with ``records.write_record``;
scores are renamed to our ``<metric>.<key>`` columns. Records (``orient="records"``) and JSON-lines
files are read too.

The file is input disentbench does not control: names that end up in a trial id (the data-set
name) must pass ``results.ids.check_id``, seeds must be integers in the reference's 32-bit range
and strengths finite numbers, and an unreadable or absurd file (not UTF-8, nested too deep for a
JSON parser) is a ``UserError`` naming the file and the field, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from disentbench.errors import DataFileError, UserError
from disentbench.results.ids import check_id, shown
from disentbench.results.records import new_record, write_record

log = logging.getLogger(__name__)

#: The reference's model names → ours (architecture.md, Models).
METHOD_NAMES = {
    "beta_vae": "beta_vae",
    "vae": "beta_vae",
    "annealed_vae": "annealed_vae",
    "factor_vae": "factor_vae",
    "dip_vae_i": "dip_vae_i",
    "dip_vae_ii": "dip_vae_ii",
    "beta_tc_vae": "beta_tc_vae",
}

#: Our method → the gin binding holding the value of its swept hyper-parameter (whose name is the
#: method registry's, ``benchmark.study.method_infos``).
STRENGTH_BINDINGS = {
    "beta_vae": "vae.beta",
    "annealed_vae": "annealed_vae.c_max",
    "factor_vae": "factor_vae.gamma",
    "dip_vae_i": "dip_vae.lambda_od",
    "dip_vae_ii": "dip_vae.lambda_od",
    "beta_tc_vae": "beta_tc_vae.beta",
}

#: The reference's metric function names and metric-config file names → our metric prefixes
#: (architecture.md, Metrics). ``downstream_task`` is resolved by its predictor.
METRIC_NAMES = {
    "beta_vae_sklearn": "beta_vae",
    "factor_vae_score": "factor_vae",
    "factor_vae_metric": "factor_vae",
    "mig": "mig",
    "dci": "dci",
    "sap_score": "sap",
    "modularity_explicitness": "modularity_explicitness",
    "unsupervised_metrics": "unsupervised",
    "unsupervised": "unsupervised",
    "irs": "irs",
    "downstream_task_logistic_regression": "downstream_logistic_regression",
    "downstream_task_boosted_trees": "downstream_boosted_trees",
}
PREDICTORS = {
    "logistic_regression_cv": "downstream_logistic_regression",
    "gradient_boosting_classifier": "downstream_boosted_trees",
}
#: The reference's post-processing names → our representation names.
POSTPROCESSINGS = {
    "mean_representation": "mean",
    "sampled_representation": "sampled",
    "mean": "mean",
    "sampled": "sampled",
}

_BOOKKEEPING = {"elapsed_time", "uuid"}

#: Seeds are 32-bit unsigned integers, as the reference's ``RandomState`` seeds.
SEED_RANGE = (0, 2**32 - 1)

#: The scikit-learn semantics the imported scores were computed with: the reference ran the
#: paper-era scikit-learn, which the ``"2019"`` semantics emulate (disentbench.metrics.estimators).
REFERENCE_SKLEARN_SEMANTICS = "2019"


@dataclass
class ImportSummary:
    """What an import wrote and what it skipped (with reasons and counts)."""

    records: list[Path] = field(default_factory=list)
    evaluations: int = 0
    skipped: Counter = field(default_factory=Counter)


def clean(value: Any) -> Any:
    """Normalise a gin value: strip quotes, a leading ``@`` and a trailing ``()``; numbers stay numbers."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    if text.startswith("@"):
        text = text[1:]
    if text.endswith("()"):
        text = text[:-2]
    return text


def _number(value: Any) -> float | None:
    """A finite-or-not float from a JSON value (numbers, numeric strings); None otherwise."""
    value = clean(value)
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond float range
        return None


def read_aggregated(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The evaluations of an aggregated results file as flat dicts (one per model evaluation).

    Accepts pandas' ``to_json`` "columns" (the reference's default), "records", "index" and
    "split" orientations, and JSON lines. Raises ``DataFileError`` naming the file otherwise.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, or a NUL byte in the path
        name = repr(str(path)) if "\x00" in str(path) else str(path)
        raise DataFileError(f"{name}: cannot read the aggregated results file ({exc})") from exc
    try:
        data = json.loads(text)
    except RecursionError:
        raise DataFileError(f"{path}: JSON nested too deeply to be an aggregated results file") from None
    except ValueError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except RecursionError:
            raise DataFileError(f"{path}: JSON nested too deeply to be an aggregated results file") from None
        except ValueError as exc:
            raise DataFileError(f"{path}: not JSON or JSON lines ({exc})") from exc
    rows = _rows(data)
    if rows is None:
        raise DataFileError(
            f"{path}: expected the JSON of dlib_aggregate_results (an object of columns, or a list of "
            "records with keys such as 'train_config.model.name' and 'evaluation_results.*')"
        )
    return rows


def _rows(data: Any) -> list[dict[str, Any]] | None:
    """Rows from any of the accepted JSON layouts, or None if the layout is not recognised."""
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)] if all(isinstance(r, dict) for r in data) else None
    if not isinstance(data, dict) or not data:
        return None
    if {"columns", "data"} <= set(data) and isinstance(data["data"], list):  # orient="split"
        return [dict(zip(data["columns"], row, strict=False)) for row in data["data"]]
    values = list(data.values())
    if not all(isinstance(v, dict) for v in values):
        return None
    keys = list(data)
    if any("." in k and k.split(".", 1)[0].endswith(("_config", "_results")) for k in keys):  # columns
        index = list(dict.fromkeys(i for column in values for i in column))
        return [{c: data[c].get(i) for c in keys if i in data[c]} for i in index]
    return [dict(v) for v in values]  # orient="index"


def _method(train: dict[str, Any]) -> str | None:
    """Our method name from a model's ``train_config`` bindings."""
    name = clean(train.get("model.name"))
    if name in (None, ""):
        name = clean(train.get("model.model"))
    if name == "dip_vae":
        dip_type = clean(train.get("dip_vae.dip_type"))
        return {"i": "dip_vae_i", "ii": "dip_vae_ii"}.get(str(dip_type).lower())
    return METHOD_NAMES.get(str(name))


def _metric(evaluation: dict[str, Any]) -> str | None:
    """Our metric prefix from an evaluation's ``evaluation_config`` bindings."""
    fn = clean(evaluation.get("evaluation.evaluation_fn"))
    if fn == "downstream_task":
        return PREDICTORS.get(str(clean(evaluation.get("predictor.predictor_fn"))))
    if fn in METRIC_NAMES:
        return METRIC_NAMES[fn]
    name = clean(evaluation.get("evaluation.name"))
    return METRIC_NAMES.get(str(name))


def _representation(post: dict[str, Any]) -> str | None:
    fn = clean(post.get("postprocess.postprocess_fn")) or clean(post.get("postprocess.name"))
    return POSTPROCESSINGS.get(str(fn))


def _split(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A flat evaluation row split by namespace: ``{"train_config": {...}, "evaluation_results": {...}}``."""
    parts: dict[str, dict[str, Any]] = {}
    for key, value in row.items():
        head, _, rest = str(key).partition(".")
        if rest:
            parts.setdefault(head, {})[rest] = value
    return parts


def model_number(dataset: str, method: str, strength: float, seed: int) -> int | None:
    """The reference's model number when the model is on the study's grid (``benchmark.study``)."""
    from disentbench.benchmark.study import method_infos
    from disentbench.benchmark.study import model_number as study_model_number

    info = method_infos().get(method)
    return None if info is None else study_model_number(dataset, info, strength, seed)


def _seed(value: Any, where: str) -> int | None:
    """The model's random seed: None when absent; ``UserError`` naming ``where`` when not a 32-bit seed."""
    if value in (None, ""):
        return None
    number = value
    if isinstance(value, str):
        try:
            number = int(value)
        except ValueError:
            number = _number(value)
    if isinstance(number, float) and math.isfinite(number) and number.is_integer():
        number = int(number)
    low, high = SEED_RANGE
    if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
        raise UserError(f"{where}: expected an integer seed from {low} to {high}, got {shown(value)}")
    return number


def _strength(value: Any, where: str) -> float | None:
    """The swept hyper-parameter's value: None when absent; ``UserError`` when not a finite number."""
    if value in (None, ""):
        return None
    number = _number(value)
    if number is None or not math.isfinite(number):
        raise UserError(f"{where}: expected a finite number, got {shown(value)}")
    return number


def to_records(
    rows: list[dict[str, Any]], source: str, study: str = "reference"
) -> tuple[list[dict], Counter]:
    """Group evaluations by model and build one result record per model; returns (records, skipped).

    Raises ``UserError`` naming ``source``, the evaluation's position and the field when a value
    that becomes part of the record's id or spec is unusable (see the module docstring).
    """
    from disentbench.benchmark.study import method_infos

    infos = method_infos()
    skipped: Counter = Counter()
    models: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(rows):
        parts = _split(row)
        train = {k: clean(v) for k, v in parts.get("train_config", {}).items()}
        where = f"{source}: evaluation {index}: field train_config."
        dataset, method = train.get("dataset.name"), _method(train)
        seed = _seed(train.get("model.random_seed"), where + "model.random_seed")
        if not dataset or method is None or seed is None:
            skipped["no dataset, known model name or random seed in train_config"] += 1
            continue
        check_id(dataset, where + "dataset.name")
        binding = STRENGTH_BINDINGS[method]
        strength = _strength(train.get(binding), where + binding)
        if strength is None:
            skipped[f"no {binding} in train_config"] += 1
            continue
        identity = json.dumps(train, sort_keys=True, default=str)
        model = models.get(identity)
        if model is None:
            model = models[identity] = _new_record(
                train, dataset, method, infos[method].hyperparameter, strength, seed, source, study
            )
            model["train_results"], train_seconds = _train_results(parts.get("train_results", {}))
            model["timings"]["train_seconds"] = train_seconds
        kind = _representation(parts.get("postprocess_config", {}))
        metric = _metric(parts.get("evaluation_config", {}))
        if kind is None or metric is None:
            skipped["unknown post-processing or metric"] += 1
            continue
        scores = model["scores"].setdefault(kind, dict(_REFERENCE_META))
        results = parts.get("evaluation_results", {})
        for key, value in results.items():
            number = _number(value)
            if key in _BOOKKEEPING or number is None:
                continue
            scores[f"{metric}.{key}"] = number
        elapsed = _number(results.get("elapsed_time"))
        if elapsed is not None:
            model["timings"]["eval_seconds"] = (model["timings"]["eval_seconds"] or 0.0) + elapsed
        spec = model["spec"]
        spec["metrics"] = sorted({*spec["metrics"], metric})
        if kind not in spec["representations"]:
            spec["representations"] = sorted([*spec["representations"], kind])
    records = list(models.values())
    for record in records:
        t = record["timings"]
        if t["train_seconds"] is not None or t["eval_seconds"] is not None:
            t["wall_seconds"] = (t["train_seconds"] or 0.0) + (t["eval_seconds"] or 0.0)
    return records, skipped


#: What every imported score set says about how it was computed (the ``meta.*`` keys of
#: ``metrics.evaluate``, so the results table has the same columns for imported and own rows).
_REFERENCE_META = {
    "meta.sklearn_semantics": REFERENCE_SKLEARN_SEMANTICS,
    "meta.sklearn_version": "paper era (disentanglement_lib)",
    "meta.preset": "reference",
}


def _train_results(values: dict[str, Any]) -> tuple[dict[str, float], float | None]:
    """Training-time statistics as floats (bookkeeping keys dropped) and the training time."""
    out = {}
    for key, value in values.items():
        number = _number(value)
        if key not in _BOOKKEEPING and number is not None:
            out[key] = number
    return out, _number(values.get("elapsed_time"))


def _new_record(
    train: dict[str, Any],
    dataset: str,
    method: str,
    hp_name: str,
    strength: float,
    seed: int,
    source: str,
    study: str,
) -> dict[str, Any]:
    """The record (``records.new_record``) of one reference model, before its scores are added."""
    digest = hashlib.sha256(json.dumps(train, sort_keys=True, default=str).encode()).hexdigest()[:8]
    trial_id = check_id(f"ref.{dataset}.{method}.{strength:g}.s{seed}.{digest}", f"{source}: trial id")
    params = {k: v for k, v in train.items() if not k.startswith(("dataset.", "model.random_seed"))}
    spec = {
        "dataset": dataset,
        "method": method,
        "hyperparameter": hp_name,
        "strength": strength,
        "params": params,
        "seed": seed,
        "steps": _int(train.get("model.training_steps")),
        "batch_size": _int(train.get("model.batch_size")),
        "preset": "reference",
        "metrics": [],
        "representations": [],
        "sklearn_semantics": REFERENCE_SKLEARN_SEMANTICS,
    }
    record = new_record(spec, trial_id, model_number(dataset, method, strength, seed), study)
    # The environment new_record fills in is this machine's; the scores come from the reference's.
    record.update(
        status="completed",
        versions={
            "disentbench": record["versions"]["disentbench"],
            "code_version": "disentanglement_lib (imported)",
        },
        device="unknown (reference)",
        host=None,
        data={"source": "official", "imported_from": source},
    )
    return record


def _int(value: Any) -> int | None:
    number = _number(value)
    return None if number is None or not math.isfinite(number) else int(number)


def import_reference(
    path: str | os.PathLike[str], results: str | os.PathLike[str], study: str = "reference"
) -> ImportSummary:
    """Read the reference's aggregated JSON at ``path`` and write one record per model into ``results``.

    Raises ``UserError`` when no evaluation of the file can be imported, or when a value of it is
    unusable (named with its file, position and field).
    """
    rows = read_aggregated(path)
    records, skipped = to_records(rows, source=os.fspath(path), study=study)
    if not records:
        reasons = "; ".join(f"{n} × {why}" for why, n in skipped.items()) or "the file holds no evaluations"
        raise UserError(f"{path}: nothing to import ({reasons})")
    summary = ImportSummary(evaluations=len(rows), skipped=skipped)
    for record in records:
        summary.records.append(write_record(results, record))
    for why, n in skipped.items():
        log.warning("skipped %d evaluation(s): %s", n, why)
    return summary
