"""Import of the reference's aggregated results JSON (the output of dlib_aggregate_results)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from disentbench.errors import DataFileError, UserError
from disentbench.results import load
from disentbench.results import reference_import as ri


@pytest.fixture
def aggregated(tmp_path: Path, reference_rows: list[dict]) -> Path:
    """The reference's format: ``DataFrame.to_json`` in its default "columns" orientation."""
    path = tmp_path / "results.json"
    pd.DataFrame(reference_rows).to_json(path)
    assert next(iter(json.loads(path.read_text()).values())).keys() == {str(i) for i in range(9)}
    return path


def test_import_writes_one_record_per_model_and_loads_as_a_table(aggregated: Path, tmp_path: Path) -> None:
    summary = ri.import_reference(aggregated, tmp_path / "res")
    assert len(summary.records) == 2 and summary.evaluations == 9
    assert sum(summary.skipped.values()) == 1
    table = load(tmp_path / "res")
    assert len(table) == 3  # β-VAE: mean and sampled rows; DIP-VAE-II: mean only
    beta = table[table["method"] == "beta_vae"].set_index("representation")
    assert beta.loc["mean", "mig.discrete_mig"] == 0.25 and beta.loc["sampled", "mig.discrete_mig"] == 0.05
    assert beta.loc["mean", "beta_vae.eval_accuracy"] == 0.875
    assert beta.loc["mean", "downstream_logistic_regression.100:mean_test_accuracy"] == pytest.approx(0.2)
    assert beta.loc["mean", "downstream_boosted_trees.10000:mean_test_accuracy"] == pytest.approx(0.4)
    assert beta.loc["sampled", "unsupervised.gaussian_total_correlation"] == 0.5
    assert beta.loc["mean", "train.reconstruction_loss"] == 30.5
    assert "train.uuid" not in table.columns and "mig.elapsed_time" not in table.columns
    assert beta.loc["mean", "strength"] == 4.0 and beta.loc["mean", "hyperparameter"] == "beta"
    assert beta.loc["mean", "model_num"] == (0 * 6 + 2) * 50 + 3  # docs/reference/analyses.md §1 numbering
    assert beta.loc["mean", "steps"] == 300000 and beta.loc["mean", "data_source"] == "official"
    assert (
        beta.loc["mean", "train_seconds"] == 100.0 and beta.loc["mean", "eval_seconds"] == 12.0
    )  # six evaluations of 2 s
    dip = table[table["method"] == "dip_vae_ii"].iloc[0]
    assert dip["strength"] == 10.0 and dip["seed"] == 0 and dip["model_num"] == (3 * 6 + 3) * 50
    assert dip["factor_vae.eval_accuracy"] == 0.7 and dip["sap.SAP_score"] == 0.125
    assert set(table["status"]) == {"completed"} and set(table["preset"]) == {"reference"}


def test_import_is_idempotent(aggregated: Path, tmp_path: Path) -> None:
    first = ri.import_reference(aggregated, tmp_path / "res")
    second = ri.import_reference(aggregated, tmp_path / "res")
    assert [p.name for p in first.records] == [p.name for p in second.records]
    assert len(list((tmp_path / "res" / "records").glob("*.json"))) == 2


@pytest.mark.parametrize("orient", ["records", "index", "split"])
def test_other_orientations_and_json_lines(orient: str, tmp_path: Path, reference_rows: list[dict]) -> None:
    path = tmp_path / "r.json"
    pd.DataFrame(reference_rows).to_json(path, orient=orient)
    assert len(ri.read_aggregated(path)) == 9
    lines = tmp_path / "r.jsonl"
    pd.DataFrame(reference_rows).to_json(lines, orient="records", lines=True)
    rows = ri.read_aggregated(lines)
    records, skipped = ri.to_records(rows, source="x")
    assert len(records) == 2 and sum(skipped.values()) == 1


def test_gin_value_normalisation_and_names() -> None:
    assert ri.clean("'beta_vae'") == "beta_vae"
    assert ri.clean('"@mean_representation"') == "mean_representation"
    assert ri.clean("@vae()") == "vae"
    assert ri.clean(3.0) == 3.0
    assert ri._method({"model.name": "'vae'"}) == "beta_vae"
    assert ri._method({"model.name": "dip_vae", "dip_vae.dip_type": "'i'"}) == "dip_vae_i"
    assert ri._metric({"evaluation.name": "'factor_vae_metric'"}) == "factor_vae"
    assert ri.model_number("shapes3d", "annealed_vae", 100.0, 49) == 12599
    assert ri.model_number("mpi3d_toy", "beta_vae", 1.0, 0) is None


def test_bad_files_name_the_file(tmp_path: Path, reference_rows: list[dict]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataFileError, match=r"bad\.json"):
        ri.read_aggregated(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"a": 1}))
    with pytest.raises(DataFileError, match="dlib_aggregate_results"):
        ri.read_aggregated(other)
    useless = tmp_path / "useless.json"
    pd.DataFrame(reference_rows[-1:]).to_json(useless)  # the unknown model only
    with pytest.raises(UserError, match="nothing to import"):
        ri.import_reference(useless, tmp_path / "res")
