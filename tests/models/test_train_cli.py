"""``disentbench train`` / ``evaluate`` end to end on a reduced rendered dSprites."""

from __future__ import annotations

import json

import pytest

from disentbench.cli import main
from disentbench.models import METHODS, TrainedModel
from disentbench.models.cli import parse_params


def test_train_help_lists_every_method_and_parameter(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for spec in METHODS.values():
        assert spec.name in out and spec.hyperparameter in out
    assert "lambda_d_factor=10" in out and "--no-factor-vae-reference-steps" in out


def test_parse_params():
    assert parse_params(["beta=4", "iteration_threshold=1e5"]) == {"beta": 4.0, "iteration_threshold": 1e5}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--param", "beta"], "--param: expected KEY=VALUE"),
        (["--param", "beta=big"], "--param beta: expected a number"),
        (["--param", "gamma=3"], "unknown parameter"),
        (["--steps", "0"], "steps: expected an integer"),
    ],
)
def test_train_bad_input_exits_2(tmp_path, capsys, extra, message):
    argv = ["train", "--dataset", "dsprites_full", "--method", "beta_vae", "--out", str(tmp_path / "m")]
    assert main(argv + extra) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_train_then_evaluate(dsprites_root, tmp_path, capsys):
    out = tmp_path / "model"
    argv = [
        "train",
        "--dataset",
        "dsprites_full",
        "--method",
        "annealed_vae",
        "--param",
        "c_max=25",
        "--param",
        "iteration_threshold=10",
        "--seed",
        "2",
        "--steps",
        "12",
        "--batch-size",
        "8",
        "--eval-batches",
        "2",
        "--log-every",
        "4",
        "--checkpoint-every",
        "5",
        "--threads",
        "1",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--data-root",
        str(dsprites_root),
    ]
    assert main(argv) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["iterations"] == 12 and stats["data"]["source"] == "rendered"
    model = TrainedModel.load(out)
    assert model.config.resolved_params == {"c_max": 25.0, "gamma": 1000.0, "iteration_threshold": 10}
    assert json.loads((out / "checkpoint" / "latest.json").read_text())["step"] == 12
    # Running again resumes from the final checkpoint and gives the same model.
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["resumed_from_step"] == 12 and again["loss"] == stats["loss"]

    argv = ["evaluate", str(out), "--preset", "smoke", "--metrics", "mig", "--data-root", str(dsprites_root)]
    assert main([*argv, "--representation", "sampled"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["meta.preset"] == "smoke" and scores["meta.representation"] == "sampled"
    assert 0.0 <= scores["mig.discrete_mig"] <= 1.0
    assert not any(key.startswith("sap.") for key in scores)
    assert json.loads((out / "scores_sampled.json").read_text()) == scores
    assert main([*argv, "--metrics", "no_such_metric"]) == 2


@pytest.mark.slow
def test_weak_model_trains_with_the_default_out_and_is_evaluated(
    dsprites_root, tmp_path, capsys, monkeypatch
):
    """`train --method ada_gvae --param beta=1` (no --out) saves under models/, and `evaluate`
    scores the model and records it with its k (docs/weak.md)."""
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--dataset", "dsprites_full", "--method", "ada_gvae", "--param", "beta=1"]
    small = ["--steps", "6", "--batch-size", "8", "--eval-batches", "2", "--threads", "1", "--device", "cpu"]
    assert main([*argv, *small, "--data-root", str(dsprites_root)]) == 0
    stats = json.loads(capsys.readouterr().out)
    out = tmp_path / "models" / "dsprites_full.ada_gvae.beta1.k1.s0"
    model = TrainedModel.load(out)
    assert model.config.resolved_params == {"beta": 1.0, "k": 1}
    assert stats["iterations"] == 6 and stats["images_per_second"] == pytest.approx(
        16 * stats["steps_per_second"]
    )
    evaluate = [
        "evaluate",
        str(out),
        "--preset",
        "smoke",
        "--metrics",
        "mig",
        "--data-root",
        str(dsprites_root),
    ]
    assert main([*evaluate, "--results", str(tmp_path / "results")]) == 0
    assert 0.0 <= json.loads(capsys.readouterr().out)["mig.discrete_mig"] <= 1.0
    (record,) = (tmp_path / "results" / "records").glob("*.json")
    assert record.name.startswith("dsprites_full.ada_gvae.1.k1.s0.")
    # k out of range for dSprites' five factors: exit 2 naming the data set, before training.
    assert main([*argv, "--param", "k=6", *small, "--data-root", str(dsprites_root)]) == 2
    assert "data set 'dsprites_full': k: expected -1 (random) or 1 … 5" in capsys.readouterr().err
