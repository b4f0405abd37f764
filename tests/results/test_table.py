"""The results table: one row per (trial, representation), flat documented columns, export."""

from __future__ import annotations

import pandas as pd
import pytest

from disentbench.errors import UserError
from disentbench.results import load, write_record
from disentbench.results.records import new_record
from disentbench.results.table import BASE_COLUMNS, export


def _write(tmp_path, trial_id, model_num, status="completed", seed=0):
    spec = {
        "dataset": "dsprites_full",
        "method": "beta_vae",
        "hyperparameter": "beta",
        "strength": 4.0,
        "seed": seed,
        "steps": 100,
        "batch_size": 64,
        "preset": "fast",
        "representations": ["mean", "sampled"],
    }
    record = new_record(spec, trial_id, model_num, "s")
    record["status"] = status
    record["data"] = {"source": "rendered", "renderer_version": "1"}
    record["timings"] = {"train_seconds": 1.0, "eval_seconds": 2.0, "wall_seconds": 3.5}
    if status == "completed":
        record["train_results"] = {
            "reconstruction_loss": 10.0,
            "kl_loss": 2.0,
            "last_train_losses": {"loss": 3.0},
        }
        record["scores"] = {
            "mean": {"mig.discrete_mig": 0.3, "meta.preset": "fast"},
            "sampled": {"mig.discrete_mig": 0.1, "meta.preset": "fast"},
        }
    else:
        record["error"] = "TrainingDiverged: step 3"
    write_record(tmp_path, record)


def test_rows_and_columns(tmp_path):
    _write(tmp_path, "b", 101, seed=1)
    _write(tmp_path, "a", 100)
    _write(tmp_path, "c", None, status="failed")
    frame = load(tmp_path)
    assert len(frame) == 6
    assert list(frame.columns[: len(BASE_COLUMNS)]) == list(BASE_COLUMNS)
    assert frame["trial_id"].tolist()[:4] == ["a", "a", "b", "b"]
    row = frame[(frame.trial_id == "a") & (frame.representation == "sampled")].iloc[0]
    assert row["mig.discrete_mig"] == pytest.approx(0.1)
    assert row["train.reconstruction_loss"] == 10.0
    assert row["train.last_train_losses.loss"] == 3.0
    assert row["data_source"] == "rendered"
    assert row["strength"] == 4.0 and row["model_num"] == 100
    failed = frame[frame.trial_id == "c"]
    assert failed["status"].tolist() == ["failed", "failed"]
    assert failed["mig.discrete_mig"].isna().all()
    assert pd.isna(failed["model_num"].iloc[0])


def test_export_round_trip(tmp_path):
    _write(tmp_path, "a", 100)
    for fmt in ("csv", "parquet"):
        path = export(tmp_path, fmt)
        back = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
        assert back["mig.discrete_mig"].tolist() == pytest.approx([0.3, 0.1])


def test_not_a_results_dir(tmp_path):
    with pytest.raises(UserError, match="records"):
        load(tmp_path / "nothing")


def test_sklearn_semantics_column_from_scores_or_spec(tmp_path):
    for trial_id, status, meta in (("a", "completed", "2019"), ("b", "failed", None)):
        spec = {"dataset": "dsprites_full", "method": "beta_vae", "strength": 1.0, "seed": 0,
                "representations": ["mean"], "sklearn_semantics": "modern"}  # fmt: skip
        record = new_record(spec, trial_id, None, "s")
        record["status"] = status
        if meta:
            record["scores"] = {"mean": {"mig.discrete_mig": 0.3, "meta.sklearn_semantics": meta}}
        write_record(tmp_path, record)
    frame = load(tmp_path).set_index("trial_id")
    assert frame.loc["a", "sklearn_semantics"] == "2019"  # what the scores were computed with
    assert frame.loc["b", "sklearn_semantics"] == "modern"  # a failed trial: what it was to use


def test_swept_parameters_become_columns(tmp_path):
    """A weakly-supervised trial's swept ``k`` is a column, so its configuration is readable."""
    spec = {"dataset": "dsprites_full", "method": "ada_gvae", "hyperparameter": "beta", "strength": 4.0,
            "params": {"beta": 4.0, "k": -1}, "swept": ["k"], "seed": 0,
            "representations": ["mean"]}  # fmt: skip
    record = new_record(spec, "weak", None, "s")
    record.update(status="completed", scores={"mean": {"mig.discrete_mig": 0.5}})
    write_record(tmp_path, record)
    _write(tmp_path, "unswept", 100)
    frame = load(tmp_path).set_index("trial_id")
    assert frame.loc["weak", "param.k"] == -1
    assert frame.loc["unswept", "param.k"].isna().all()  # two representations, no k
