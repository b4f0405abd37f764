"""export-encoder round trip: the exported TorchScript scores exactly like the model in process,
and lands in the results table and on the leaderboard with its placement."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from disentbench import datasets
from disentbench.cli import main
from disentbench.external.encoders import CheckedEncoder, load_encoder
from disentbench.models import TrainConfig, TrainedModel, train
from disentbench.results import load


@pytest.fixture
def model_dir(dsprites_root, tmp_path):
    """A β-VAE trained for 20 steps on the reduced dSprites, saved."""
    data = datasets.get("dsprites_full", root=dsprites_root)
    config = TrainConfig(
        dataset="dsprites_full", method="beta_vae", params={"beta": 4}, steps=20, batch_size=16,
        eval_batches=1, device="cpu", num_threads=1,
    )  # fmt: skip
    out = tmp_path / "model"
    train(config, data).save(out)
    return out


def test_exported_codes_equal_in_process_codes(model_dir, dsprites_root, tmp_path, capsys):
    assert main(["export-encoder", str(model_dir), str(tmp_path / "model.pt")]) == 0
    assert "forward = mean representation of dimension 10" in capsys.readouterr().out
    model = TrainedModel.load(model_dir)
    loaded = load_encoder(str(tmp_path / "model.pt"))
    assert loaded.metadata["config"]["method"] == "beta_vae"
    x = datasets.get("dsprites_full", root=dsprites_root).sample_observations(130, np.random.RandomState(1))
    exported = CheckedEncoder(loaded)
    np.testing.assert_array_equal(exported(x), model.representation_function("mean")(x))
    sampled = CheckedEncoder(loaded, gaussian=True).representation_function("sampled", seed=7)
    reference = model.representation_function("sampled", seed=7)
    for _ in range(2):  # the noise streams advance alike
        np.testing.assert_array_equal(sampled(x), reference(x))


@pytest.mark.slow
def test_exported_model_scores_equal_and_is_placed(model_dir, dsprites_root, tmp_path, capsys, tiny_preset):
    results = tmp_path / "results"
    common = ["--preset", tiny_preset, "--metrics", "mig,sap", "--representation", "both",
              "--data-root", str(dsprites_root), "--results", str(results)]  # fmt: skip
    assert main(["evaluate", str(model_dir), "--name", "in-process", *common]) == 0
    in_process = json.loads(capsys.readouterr().out)
    assert main(["export-encoder", str(model_dir), str(tmp_path / "model.pt")]) == 0
    capsys.readouterr()
    argv = ["evaluate", "--encoder", str(tmp_path / "model.pt"), "--dataset", "dsprites_full"]
    assert main([*argv, "--name", "exported", *common]) == 0
    exported = json.loads(capsys.readouterr().out)
    for representation in ("mean", "sampled"):
        for key in ("mig.discrete_mig", "sap.SAP_score"):
            assert exported[representation][key] == in_process[representation][key]
            assert np.isfinite(exported[representation][key])

    table = load(results)
    row = table[(table["label"] == "exported") & (table["representation"] == "mean")].iloc[0]
    assert row["method"] == "external" and row["status"] == "completed" and pd.isna(row["model_num"])
    record = json.loads(next((results / "records").glob("*external.exported*.json")).read_text())
    assert record["spec"]["encoder"]["dimension"] == 10 and len(record["spec"]["encoder"]["sha256"]) == 64
    assert record["spec"]["encoder"]["kind"] == "torchscript" and record["model_num"] is None

    board = ["leaderboard", str(results), "--scores", "mig.discrete_mig,sap.SAP_score"]
    assert main([*board, "--highlight", "exported"]) == 0
    out = capsys.readouterr().out
    assert "| external | exported |" in out and "◀" in out
    placement = out[out.index("Placement of 'exported'") :]
    # Same codes as the in-process model, so a tie with the one study model: 50th percentile, rank 1.
    assert "| exported | dsprites_full | mean | MIG |" in placement and "| 50.000 | 1 | 1 |" in placement
    assert main([*board, "--highlight", "nobody"]) == 2
    assert "no completed model with that label" in capsys.readouterr().err
