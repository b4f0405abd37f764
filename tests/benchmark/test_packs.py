"""Grouping trials into packs: compatible models only, deterministic, in grid order; the study
and the CLI settings that ask for it (no Ray needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from disentbench.benchmark.packs import group_into_packs
from disentbench.benchmark.runner import study_packs
from disentbench.benchmark.study import load_study, parse_study
from disentbench.benchmark.trial import train_config
from disentbench.cli import main
from disentbench.errors import UserError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

STUDY = {
    "study": "p",
    "datasets": ["dsprites_full"],
    "methods": {"beta_vae": [1, 4], "factor_vae": [10]},
    "seeds": 3,
    "training": {"steps": 10},
}


def test_packs_hold_compatible_models_in_grid_order():
    specs = parse_study(STUDY).trials()
    packs = study_packs(specs, 4)
    assert [[(s.method, s.strength, s.seed) for s in p.specs] for p in packs] == [
        [("beta_vae", 1.0, 0), ("beta_vae", 1.0, 1), ("beta_vae", 1.0, 2), ("beta_vae", 4.0, 0)],
        [("beta_vae", 4.0, 1), ("beta_vae", 4.0, 2)],
        [("factor_vae", 10.0, 0), ("factor_vae", 10.0, 1), ("factor_vae", 10.0, 2)],
    ]
    assert [p.pack_id for p in packs] == [p.pack_id for p in study_packs(specs, 4)]  # stable
    assert len({p.pack_id for p in packs}) == 3
    assert packs[0].pack_id.startswith("pack.dsprites_full.beta_vae.k4.")
    # Re-packing what is left after some models finished gives new, equally deterministic packs.
    rest = study_packs(specs[2:], 4)
    assert [s.trial_id for s in rest[0].specs] == [s.trial_id for s in specs[2:6]]
    assert all(p.size == 1 for p in study_packs(specs, 1))


def test_models_of_different_settings_never_share_a_pack():
    specs = parse_study(STUDY).trials()
    packs = group_into_packs(specs, 100, key=lambda s: (s.method, s.seed % 2))
    assert [p.size for p in packs] == [4, 2, 2, 1]
    for pack in packs:
        assert len({(s.method, s.seed % 2) for s in pack.specs}) == 1
    with pytest.raises(ValueError):
        group_into_packs(specs, 0, key=lambda s: s.method)


def test_study_models_per_trial_and_precision():
    study = parse_study(
        {**STUDY, "resources": {"models_per_trial": 9}, "training": {"steps": 10, "precision": "bf16"}}
    )
    assert study.resources.models_per_trial == 9 and study.precision == "bf16"
    default = parse_study(STUDY)
    assert default.resources.models_per_trial == 1 and default.precision == "fp32"
    # fp32 trials keep the ids they had before precision was a setting; another precision is
    # another model.
    assert "precision" not in default.trials()[0].identity()
    assert study.trials()[0].trial_id != default.trials()[0].trial_id
    assert load_study(CONFIGS / "unsupervised_study_v1.yaml").precision == "fp32"
    # How convolutions are computed, and compiling, change speed and rounding only: same ids, and
    # the trainer gets them.
    speed = {"convolutions": "matmul", "torch_compile": True}
    faster = parse_study({**STUDY, "training": {"steps": 10, **speed}})
    assert default.convolutions == "native" and not default.torch_compile
    assert [s.trial_id for s in faster.trials()] == [
        s.trial_id for s in parse_study({**STUDY, "training": {"steps": 10}}).trials()
    ]
    config = train_config(faster.trials()[0], None)
    assert config.convolutions == "matmul" and config.torch_compile
    for bad, field in (
        ({**STUDY, "resources": {"models_per_trial": 0}}, "resources.models_per_trial"),
        ({**STUDY, "training": {"precision": "fp16"}}, "training.precision"),
        ({**STUDY, "training": {"convolutions": "fft"}}, "training.convolutions"),
        ({**STUDY, "training": {"torch_compile": "yes"}}, "training.torch_compile"),
    ):
        with pytest.raises(UserError, match=field):
            parse_study(bad)


def test_dry_run_shows_the_packs(capsys):
    mini = str(CONFIGS / "mini.yaml")
    assert main(["run", mini, "--dry-run", "--models-per-trial", "9", "--results", "/nonexistent"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith(
        "54 trials (0 already recorded in /nonexistent, 54 to run in 6 packs of up to 9 models); "
        "training: precision fp32, convolutions native;"
    )
    pack_lines = [line for line in lines if line.startswith("pack #")]
    assert len(pack_lines) == 6 and all(": 9 models, pack.dsprites_full." in line for line in pack_lines)
    rows = [line.split() for line in lines[1:55]]
    assert {row[5] for row in rows if row[2] == "beta_vae"} == {"#0"}
    assert {row[5] for row in rows if row[2] == "annealed_vae"} == {"#5"}
