"""The study commands without Ray: dry-run listing, malformed files, status on an empty folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from disentbench.cli import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_dry_run_lists_reference_grid(capsys):
    assert (
        main(["run", str(CONFIGS / "unsupervised_study_v1.yaml"), "--dry-run", "--results", "/nonexistent"])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("12600 trials")
    rows = {line.split()[0]: line.split() for line in lines[1:-1]}
    assert len(rows) == 12600
    assert rows["0"][1:5] == ["dsprites_full", "beta_vae", "beta=1", "0"]
    assert rows["300"][1:5] == ["dsprites_full", "factor_vae", "gamma=10", "0"]
    assert rows["1500"][1:5] == ["dsprites_full", "annealed_vae", "c_max=5", "0"]
    assert rows["1800"][1:5] == ["color_dsprites", "beta_vae", "beta=1", "0"]
    assert rows["7200"][1:5] == ["smallnorb", "beta_vae", "beta=1", "0"]
    assert rows["9000"][1:5] == ["cars3d", "beta_vae", "beta=1", "0"]
    assert rows["10800"][1:5] == ["shapes3d", "beta_vae", "beta=1", "0"]
    assert rows["12599"][1:5] == ["shapes3d", "annealed_vae", "c_max=100", "49"]


@pytest.mark.parametrize("config", ["smoke.yaml", "mini.yaml"])
def test_shipped_configs_are_valid(config, capsys):
    assert main(["run", str(CONFIGS / config), "--dry-run", "--results", "/nonexistent"]) == 0
    assert "trials" in capsys.readouterr().out.splitlines()[-1]


def test_malformed_study_exits_2_naming_field(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "study: x\ndatasets: [dsprites_full]\nmethods: {beta_vae: [1]}\nseeds: 1\ntraining: {step: 5}\n"
    )
    assert main(["run", str(bad), "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "'training.step'" in err and "steps" in err
    assert not (tmp_path / "r").exists()  # nothing started


def test_bad_flags_exit_2(tmp_path, capsys):
    assert (
        main(["run", str(CONFIGS / "smoke.yaml"), "--results", str(tmp_path), "--cpus-per-trial", "-1"]) == 2
    )
    assert "--cpus-per-trial" in capsys.readouterr().err
    assert main(["run", str(CONFIGS / "smoke.yaml"), "--results", str(tmp_path), "--storage", "rel/dir"]) == 2
    assert main(["status", str(tmp_path / "none")]) == 2
    assert main(["resume", str(tmp_path / "none")]) == 2
