"""``disentbench train --convolutions matmul --torch-compile`` reaches the trainer and the model."""

from __future__ import annotations

import json

from disentbench.cli import main
from disentbench.datasets.squares import SquaresData
from disentbench.models import cli as models_cli
from disentbench.models import trainer


def test_the_speed_flags_reach_the_trainer_and_the_saved_model(tmp_path, monkeypatch, capsys):
    """The flags become the config that trains and is saved (what each setting does is tested in
    test_matmul_conv.py and test_compiled_pack.py)."""
    monkeypatch.setattr(models_cli, "_load_data", lambda *_args: SquaresData())
    seen = []
    real_train = trainer.train

    def train_without_compiling(config, data, **kwargs):
        seen.append(config)
        return real_train(config.__class__(**{**config.__dict__, "torch_compile": False}), data, **kwargs)

    monkeypatch.setattr(trainer, "train", train_without_compiling)
    out = tmp_path / "model"
    argv = ["train", "--dataset", "dsprites_full", "--method", "beta_vae", "--steps", "2"]
    argv += ["--batch-size", "8", "--eval-batches", "1", "--device", "cpu", "--out", str(out)]
    assert main([*argv, "--convolutions", "matmul", "--torch-compile"]) == 0
    assert seen[0].convolutions == "matmul" and seen[0].torch_compile is True
    saved = json.loads((out / "config.json").read_text())
    assert saved["convolutions"] == "matmul"
    capsys.readouterr()
