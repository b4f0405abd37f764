"""The results table: ``load(RESULTS) -> pandas.DataFrame``, one row per (trial, representation).

Reports read only this table (architecture.md). Columns, all flat:

=====================  ==========================================================================
``trial_id``           stable id of the trial (``<dataset>.<method>.<strength>.s<seed>.<hash>``)
``model_num``          the reference's model number (docs/reference/study.md §3.1); missing outside its grid
``study``              study name
``status``             ``completed`` or ``failed``
``error``              failure reason (failed trials), else missing
``dataset``            data-set name (``dsprites_full``, ``shapes3d``, ...)
``method``             method name (``beta_vae``, ``factor_vae``, ...; ``external`` for an encoder
                       scored with ``evaluate --encoder``; a plugin's reference or entry name)
``label``              name given to a model scored with ``evaluate`` (``--name``), else missing
``hyperparameter``     name of the swept parameter (``beta``, ``gamma``, ``lambda_od``, ``c_max``)
``strength``           its value (float)
``param.<name>``       each other parameter the study sweeps (``param.k``, a weakly-supervised
                       method's number of changed factors, −1 = random; docs/reference/weak.md
                       §1.1); missing for trials that sweep none
``seed``               training seed
``steps``              training steps; ``batch_size`` the batch size
``representation``     ``mean`` or ``sampled``
``data_source``        ``official`` or ``rendered`` (where the pixels came from)
``sklearn_semantics``  ``modern`` or ``2019``: the scikit-learn semantics the scores were computed
                       with (the scores' ``meta.sklearn_semantics``, else the spec's)
``preset``             metric preset (``paper``, ``fast``, ...)
``device``             device the trial trained on
``train.<key>``        training-time statistics (``train.reconstruction_loss``, ``train.elbo``, ...;
                       nested values flattened: ``train.last_train_losses.loss``)
``<metric>.<key>``     every score, as ``metrics.evaluate`` names it (``mig.discrete_mig``, ...)
``train_seconds``      training time; ``eval_seconds`` evaluation time; ``wall_seconds`` whole trial
=====================  ==========================================================================

A failed trial yields one row per requested representation with its scores missing (NaN).
``meta.*`` keys of the evaluation (preset, scikit-learn semantics and version) become columns too.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from disentbench.errors import UserError
from disentbench.results.records import iter_records, records_dir

#: Leading columns, in this order; score columns follow, sorted.
BASE_COLUMNS = (
    "trial_id",
    "model_num",
    "study",
    "status",
    "error",
    "dataset",
    "method",
    "label",
    "hyperparameter",
    "strength",
    "seed",
    "steps",
    "batch_size",
    "representation",
    "data_source",
    "sklearn_semantics",
    "preset",
    "device",
    "train_seconds",
    "eval_seconds",
    "wall_seconds",
)


def rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The table rows of one record: one per representation."""
    spec = record.get("spec", {})
    timings = record.get("timings") or {}
    common = {
        "trial_id": record["trial_id"],
        "model_num": record.get("model_num"),
        "study": record.get("study"),
        "status": record["status"],
        "error": record.get("error"),
        "dataset": spec.get("dataset"),
        "method": spec.get("method"),
        "label": spec.get("label"),
        "hyperparameter": spec.get("hyperparameter"),
        "strength": spec.get("strength"),
        "seed": spec.get("seed"),
        "steps": spec.get("steps"),
        "batch_size": spec.get("batch_size"),
        "data_source": (record.get("data") or {}).get("source"),
        "preset": spec.get("preset"),
        "device": record.get("device"),
        "train_seconds": timings.get("train_seconds"),
        "eval_seconds": timings.get("eval_seconds"),
        "wall_seconds": timings.get("wall_seconds"),
    }
    params = spec.get("params") or {}
    for name in spec.get("swept") or ():  # a configuration is (method, strength, swept parameters)
        common[f"param.{name}"] = params.get(name)
    for key, value in _flatten(record.get("train_results") or {}).items():
        common[f"train.{key}"] = value
    scores = record.get("scores") or {}
    representations = list(spec.get("representations") or []) or list(scores)
    out = []
    for representation in representations:
        row = dict(common, representation=representation, sklearn_semantics=spec.get("sklearn_semantics"))
        row.update(scores.get(representation) or {})
        row["sklearn_semantics"] = row.get("meta.sklearn_semantics") or row["sklearn_semantics"]
        out.append(row)
    return out


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys (``last_train_losses.loss``), so every column is flat."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def load(results: str | os.PathLike[str]) -> pd.DataFrame:
    """The results table of a results directory (see the module docstring for the columns)."""
    if not records_dir(results).is_dir():
        raise UserError(f"{results}: no records/ folder; expected a results directory of `disentbench run`")
    table = [row for record in iter_records(results) for row in rows(record)]
    frame = pd.DataFrame(table)
    if frame.empty:
        return pd.DataFrame(columns=list(BASE_COLUMNS))
    extra = sorted(c for c in frame.columns if c not in BASE_COLUMNS)
    frame = frame.reindex(columns=[*BASE_COLUMNS, *extra])
    frame["model_num"] = frame["model_num"].astype("Int64")
    for column in ("seed", "steps", "batch_size"):
        frame[column] = frame[column].astype("Int64")
    frame["strength"] = frame["strength"].astype(float)
    return frame.sort_values(["model_num", "trial_id", "representation"], na_position="last").reset_index(
        drop=True
    )


def export(results: str | os.PathLike[str], fmt: str, out: str | os.PathLike[str] | None = None) -> str:
    """Write the table as ``parquet`` or ``csv`` (atomically); returns the path written."""
    from disentbench.io import atomic_path

    if fmt not in ("parquet", "csv"):
        raise UserError(f"--format {fmt!r}; expected parquet or csv")
    frame = load(results)
    path = os.fspath(out) if out else os.path.join(os.fspath(results), f"results.{fmt}")
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
    return path
