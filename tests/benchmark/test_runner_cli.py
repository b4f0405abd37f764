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
    assert "preset paper, sklearn_semantics 2019," in lines[-1]  # the paper-era estimators by default
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


def _args(*flags: str):
    from disentbench.cli import build_parser

    return build_parser().parse_args(["run", str(CONFIGS / "smoke.yaml"), *flags])


def test_zero_valued_flags_override_the_saved_and_study_values():
    from disentbench.benchmark.cli import _options

    saved = {"gpus_per_trial": 1.0, "max_failures": 3, "max_concurrent": 4, "keep_checkpoints": True}
    args = _args("--gpus-per-trial", "0", "--max-failures", "0", "--max-concurrent", "0")
    options = _options(args, saved)
    assert (options.gpus_per_trial, options.max_failures, options.max_concurrent) == (0.0, 0, 0)
    assert options.keep_checkpoints is True  # an absent switch keeps the saved value
    untouched = _options(_args(), saved)
    assert (untouched.gpus_per_trial, untouched.max_failures, untouched.max_concurrent) == (1.0, 3, 4)


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--cpus-per-trial", "nan"], "--cpus-per-trial"),
        (["--cpus-per-trial", "inf"], "--cpus-per-trial"),
        (["--cpus-per-trial", "0"], "--cpus-per-trial"),
        (["--gpus-per-trial", "nan"], "--gpus-per-trial"),
        (["--gpus-per-trial", "-1"], "--gpus-per-trial"),
        (["--max-concurrent", "-1"], "--max-concurrent"),
        (["--max-trials", "0"], "--max-trials"),
        (["--models-per-trial", "0"], "--models-per-trial"),
        (["--models-per-trial", "5000"], "--models-per-trial"),
    ],
)
def test_non_finite_or_negative_flags_exit_2(flags, named, tmp_path, capsys):
    assert main(["run", str(CONFIGS / "smoke.yaml"), "--results", str(tmp_path / "r"), *flags]) == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def _huge_study(tmp_path: Path) -> Path:
    path = tmp_path / "huge.yaml"
    path.write_text("study: huge\ndatasets: [dsprites_full]\nmethods: {beta_vae: [1]}\nseeds: 1000000000\n")
    return path


def test_billion_trial_dry_run_refused_with_its_count(tmp_path, capsys):
    path = _huge_study(tmp_path)
    assert main(["run", str(path), "--dry-run", "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "1,000,000,000 trials" in err and "--max-trials" in err
    assert main(["run", str(path), "--results", str(tmp_path / "r")]) == 2
    assert not (tmp_path / "r").exists()


def test_max_trials_raises_and_lowers_the_limit(capsys):
    smoke = str(CONFIGS / "smoke.yaml")
    assert main(["run", smoke, "--dry-run", "--max-trials", "5", "--results", "/nonexistent"]) == 2
    assert "6 trials, more than the limit of 5" in capsys.readouterr().err
    assert main(["run", smoke, "--dry-run", "--max-trials", "6", "--results", "/nonexistent"]) == 0


def test_results_path_that_is_a_file_exits_2(tmp_path, capsys):
    target = tmp_path / "results"
    target.write_text("not a folder")
    assert main(["run", str(CONFIGS / "smoke.yaml"), "--results", str(target)]) == 2
    assert f"results directory {target} is a file" in capsys.readouterr().err


def test_unwritable_results_and_records_exit_2_before_training(tmp_path, capsys):
    # /sys is read-only even for root: it stands for a read-only mount.
    readonly = Path("/sys/disentbench-results")
    assert main(["run", str(CONFIGS / "smoke.yaml"), "--results", str(readonly)]) == 2
    assert f"results directory {readonly} is not writable" in capsys.readouterr().err

    from disentbench.benchmark.runner import run_study
    from disentbench.benchmark.study import load_study
    from disentbench.errors import UserError

    results = tmp_path / "results"
    results.mkdir()
    (results / "records").symlink_to("/sys/kernel")  # records on a read-only mount
    with pytest.raises(UserError, match=r"records directory .* is not writable"):
        run_study(load_study(CONFIGS / "smoke.yaml"), results)  # raises before Ray is imported
    assert not (results / "ray").exists()


def test_corrupt_run_options_on_resume_exits_2(tmp_path, capsys):
    results = tmp_path / "results"
    results.mkdir()
    (results / "study.yaml").write_text((CONFIGS / "smoke.yaml").read_text())
    (results / "run_options.json").write_text('{"cpus_per_trial": 1, ')
    assert main(["resume", str(results)]) == 2
    assert "run_options.json: not readable JSON" in capsys.readouterr().err
    (results / "run_options.json").write_text('{"cpus_per_trial": "many"}')
    assert main(["resume", str(results)]) == 2
    assert "run_options.json: --cpus-per-trial" in capsys.readouterr().err
    (results / "run_options.json").write_text("[1, 2]")
    assert main(["resume", str(results)]) == 2
    assert "expected a JSON object" in capsys.readouterr().err


def test_read_only_data_root_exits_2_naming_it():
    from disentbench.benchmark.runner import prepare_datasets
    from disentbench.errors import UserError

    with pytest.raises(UserError, match=r"cannot prepare data set dsprites_full in /sys/disentbench-data"):
        prepare_datasets(("dsprites_full",), "/sys/disentbench-data")  # /sys: read-only even for root
