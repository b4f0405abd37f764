"""``disentbench train --convolutions matmul --torch-compile`` reaches the trainer and the record."""

from __future__ import annotations

import json

import torch

from disentbench.cli import main
from disentbench.datasets.squares import SquaresData
from disentbench.models import cli as models_cli
from disentbench.models import packed


def test_the_speed_flags_reach_the_trainer_and_the_saved_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(models_cli, "_load_data", lambda *_args: SquaresData())
    graphs = []

    def aot_eager_counting(graph_module, example_inputs):  # the compile really happens
        graphs.append(graph_module)
        return torch._dynamo.lookup_backend("aot_eager")(graph_module, example_inputs)

    monkeypatch.setattr(packed, "COMPILE_BACKEND", aot_eager_counting)
    out = tmp_path / "model"
    argv = ["train", "--dataset", "dsprites_full", "--method", "beta_vae", "--steps", "3"]
    argv += ["--batch-size", "8", "--eval-batches", "1", "--device", "cpu", "--out", str(out)]
    assert main([*argv, "--convolutions", "matmul", "--torch-compile"]) == 0
    assert len(graphs) == 1
    saved = json.loads((out / "config.json").read_text())
    assert saved["convolutions"] == "matmul" and saved["torch_compile"] is True
    stats = json.loads((out / "training_stats.json").read_text())
    assert stats["convolutions"] == "matmul" and stats["torch_compile"] is True
    capsys.readouterr()
