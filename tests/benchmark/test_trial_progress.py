"""A trial's progress lines and its checkpoint markers, without Ray."""

from __future__ import annotations

from pathlib import Path

from disentbench.benchmark.study import parse_study
from disentbench.benchmark.trial import checkpoint_step, run_trial, write_progress_marker


def _checkpoint(folder: Path, step: int, trial_id: str = "t1") -> Path:
    (folder / "ckpt-1").mkdir(parents=True)
    (folder / "ckpt-1" / "weights.safetensors").write_bytes(b"w" * 1000)
    (folder / "latest.json").write_text('{"checkpoint": "ckpt-1"}')
    write_progress_marker(folder, step, trial_id)
    return folder


def test_marker_names_step_and_detects_an_incomplete_copy(tmp_path):
    folder = _checkpoint(tmp_path / "c", 30)
    assert checkpoint_step(folder, "t1") == 30
    assert checkpoint_step(folder, "another-trial") is None
    with open(folder / "ckpt-1" / "weights.safetensors", "r+b") as fh:
        fh.truncate(400)  # a copy cut short by a killed worker
    assert checkpoint_step(folder, "t1") is None
    assert checkpoint_step(tmp_path / "missing") is None


def test_factor_vae_progress_counts_its_own_iterations(dsprites_root, tmp_path):
    study = parse_study(
        {
            "study": "progress",
            "datasets": ["dsprites_full"],
            "methods": {"factor_vae": [10]},
            "seeds": [0],
            "training": {"steps": 20, "batch_size": 16, "checkpoint_every": 5, "eval_batches": 2},
            "evaluation": {"preset": "smoke", "metrics": ["mig"], "representations": ["mean"]},
        }
    )
    (spec,) = study.trials()
    lines: list[str] = []
    record = run_trial(
        spec, checkpoint_dir=str(tmp_path / "ckpt"), data_root=str(dsprites_root), on_progress=lines.append
    )
    assert record["status"] == "completed", record["error"]
    # ⌈(20 + 1) / 2⌉ = 11 iterations: the total is 11, not the 20 steps of the study file.
    training = [line for line in lines if line.startswith("training:")]
    assert training[0] == "training: iteration 5/11"
    assert training[-1] == "training: iteration 11/11; training-time scores over 2 batches"
    assert lines[len(training)] == "evaluating mean: mig (1/1)"
    assert lines[-1].startswith("evaluating mean: mig (1/1) done in ")
    assert isinstance(record["scores"]["mean"]["meta.convergence_warnings"], int)
