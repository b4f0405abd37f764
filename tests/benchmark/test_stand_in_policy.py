"""The stand-in policy (``data: {stand_in: allow | refuse}``, ``--allow-stand-in``) and ``--datasets``.

A study that refuses stand-ins stops before Ray starts when an official file is missing or is a
rendered stand-in, with one message naming every file, where it belongs and how to get it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from disentbench.benchmark.runner import RunOptions, check_data, run_study
from disentbench.benchmark.study import load_study, parse_study, select_datasets
from disentbench.benchmark.trial import prepare_data
from disentbench.cli import main
from disentbench.errors import DataFileError, UserError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
DSPRITES = "dsprites/dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"


@pytest.fixture
def no_ray(monkeypatch):
    """Fail the test if anything tries to start or join Ray."""
    import ray

    def refuse(*args, **kwargs):
        raise AssertionError("Ray was started")

    monkeypatch.setattr(ray, "init", refuse)


def test_policy_field_and_shipped_configs():
    base = {"study": "t", "datasets": ["dsprites_full"], "methods": {"beta_vae": [1]}, "seeds": 1}
    assert parse_study(base).stand_in == "allow"  # a study that says nothing keeps today's behaviour
    assert parse_study({**base, "data": {"stand_in": "refuse"}}).stand_in == "refuse"
    with pytest.raises(UserError, match=r"field 'data.stand_in': got 'maybe'; expected one of allow, refuse"):
        parse_study({**base, "data": {"stand_in": "maybe"}}, "s.yaml")
    with pytest.raises(UserError, match=r"field 'data.render'"):
        parse_study({**base, "data": {"render": True}}, "s.yaml")
    assert load_study(CONFIGS / "unsupervised_study_v1.yaml").stand_in == "refuse"
    assert load_study(CONFIGS / "smoke.yaml").stand_in == "allow"
    assert load_study(CONFIGS / "mini.yaml").stand_in == "allow"


def test_dataset_subset_keeps_model_numbers():
    study = load_study(CONFIGS / "unsupervised_study_v1.yaml")
    subset = select_datasets(study, ["shapes3d", "cars3d"])
    assert subset.datasets == ("cars3d", "shapes3d")  # the study's order
    numbers = [spec.model_num for spec in subset.trials()]
    assert numbers == list(range(9000, 10800)) + list(range(10800, 12600))
    assert select_datasets(study, None) is study
    with pytest.raises(UserError, match="--datasets: mnist not in study unsupervised_study_v1"):
        select_datasets(study, ["mnist"])


def test_paper_study_refuses_before_ray_without_official_dsprites(tmp_path, capsys, no_ray):
    empty = tmp_path / "data"
    empty.mkdir()
    results = tmp_path / "results"
    args = ["run", str(CONFIGS / "unsupervised_study_v1.yaml"), "--results", str(results)]
    assert main([*args, "--data-root", str(empty), "--datasets", "dsprites_full"]) == 2
    err = capsys.readouterr().err
    assert f"{empty / DSPRITES}" in err and "`disentbench data download dsprites`" in err
    assert "--allow-stand-in" in err
    assert err.count("dsprites data file not found") == 1  # one message, not one per trial
    assert not list((empty).iterdir())  # nothing rendered
    assert not list(results.glob("records/*.json"))  # no record written


def test_empty_data_root_from_the_environment_lists_every_missing_file(tmp_path, monkeypatch, capsys, no_ray):
    empty = tmp_path / "data"
    empty.mkdir()
    monkeypatch.setenv("DISENTBENCH_DATA", str(empty))
    args = ["run", str(CONFIGS / "unsupervised_study_v1.yaml"), "--results", str(tmp_path / "r")]
    assert main(args) == 2
    err = capsys.readouterr().err
    for needle in ("dsprites data file", "scream data file", "smallnorb data files", "cars3d data files"):
        assert err.count(needle) == 1, needle
    assert "disentbench data download smallnorb" in err and str(empty / "small_norb") in err
    assert str(empty / "cars") in err and "disentbench data download cars3d" in err


def test_rendered_file_is_refused_and_the_override_accepts_it(dsprites_root, tmp_path, capsys, no_ray):
    args = ["run", str(CONFIGS / "unsupervised_study_v1.yaml"), "--results", str(tmp_path / "r")]
    args += ["--data-root", str(dsprites_root), "--datasets", "dsprites_full,noisy_dsprites"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "is a rendered offline stand-in, not the official dsprites file" in err
    assert "--allow-stand-in" in err
    # the override lets the check pass (training itself is covered by the runner's tests)
    check_data(("dsprites_full", "noisy_dsprites"), str(dsprites_root), True, "s")
    with pytest.raises(UserError, match="rendered offline stand-in"):
        check_data(("dsprites_full",), str(dsprites_root), False, "s")


def test_files_without_a_stand_in_are_required_even_when_allowed(tmp_path, no_ray):
    with pytest.raises(UserError) as err:
        check_data(("dsprites_full", "smallnorb"), str(tmp_path), True, "s")
    text = str(err.value)
    assert "smallnorb data files not found" in text and "dsprites data file" not in text
    assert "--allow-stand-in" not in text  # it would not help
    assert "--datasets dsprites_full" in text  # what can run


def test_trial_never_renders_when_refused(tmp_path):
    with pytest.raises(DataFileError, match=r"stand-ins are refused.*disentbench data download dsprites"):
        prepare_data("dsprites_full", str(tmp_path), allow_stand_in=False)
    assert not (tmp_path / "dsprites").exists()


def test_run_study_checks_before_ray(tmp_path, no_ray):
    path = tmp_path / "s.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "study": "s",
                "datasets": ["dsprites_full"],
                "methods": {"beta_vae": [1]},
                "seeds": 1,
                "data": {"stand_in": "refuse"},
            }
        )
    )
    with pytest.raises(UserError, match="study s cannot start"):
        run_study(load_study(path), tmp_path / "r", RunOptions(data_root=str(tmp_path / "none")))


def test_mpi3d_challenge_study():
    study = load_study(CONFIGS / "mpi3d_challenge.yaml")
    specs = study.trials()
    assert study.datasets == ("mpi3d_toy", "mpi3d_realistic", "mpi3d_real")
    assert len(specs) == 3 * 6 * 6 * 5 and all(spec.model_num is None for spec in specs)
    assert study.metrics == ("factor_vae", "dci", "mig", "sap", "irs") and study.representations == ("mean",)
    assert study.stand_in == "refuse"
