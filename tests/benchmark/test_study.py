"""Study files: validation errors name file and field; the grid has the reference's numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from disentbench.benchmark.study import check_trial_count, load_study, parse_study
from disentbench.errors import UserError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

MINIMAL = {
    "study": "t",
    "datasets": ["dsprites_full"],
    "methods": {"beta_vae": [1, 4]},
    "seeds": 2,
    "training": {"steps": 10},
    "evaluation": {"preset": "fast", "metrics": ["mig"]},
}


def _with(**changes):
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    for dotted, value in changes.items():
        keys = dotted.split("__")
        target = data
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
    return data


def test_reference_study_grid_and_model_numbers():
    study = load_study(CONFIGS / "unsupervised_study_v1.yaml")
    specs = study.trials()
    assert len(specs) == 7 * 6 * 6 * 50 == 12_600
    by_num = {s.model_num: s for s in specs}
    assert len(by_num) == len(specs)
    first = by_num[0]
    assert (first.dataset, first.method, first.hyperparameter, first.strength, first.seed) == (
        "dsprites_full",
        "beta_vae",
        "beta",
        1.0,
        0,
    )
    assert (by_num[300].method, by_num[300].strength) == ("factor_vae", 10.0)
    assert (by_num[1500].method, by_num[1500].strength) == ("annealed_vae", 5.0)
    assert (by_num[1800].dataset, by_num[1800].method, by_num[1800].strength) == (
        "color_dsprites",
        "beta_vae",
        1.0,
    )
    assert (by_num[10800].dataset, by_num[10800].method, by_num[10800].seed) == ("shapes3d", "beta_vae", 0)
    last = by_num[12599]
    assert (last.dataset, last.method, last.strength, last.seed) == ("shapes3d", "annealed_vae", 100.0, 49)
    assert (by_num[7200].dataset, by_num[7200].method, by_num[7200].strength, by_num[7200].seed) == (
        "smallnorb",
        "beta_vae",
        1.0,
        0,
    )
    assert (by_num[9000].dataset, by_num[9000].method, by_num[9000].seed) == ("cars3d", "beta_vae", 0)
    assert sorted(by_num) == list(range(12_600))
    assert study.stand_in == "refuse"
    # Sweep order = numbering order.
    assert [s.model_num for s in specs] == sorted(by_num)
    assert by_num[1000].params == {"lambda_d_factor": 1.0, "lambda_od": 5.0}  # dip_vae_ii (m=3), h=2


def test_trial_ids_stable_and_unique():
    a = parse_study(MINIMAL).trials()
    b = parse_study(MINIMAL).trials()
    assert [s.trial_id for s in a] == [s.trial_id for s in b]
    assert len({s.trial_id for s in a}) == 4
    # A result-determining change gives new ids; the checkpoint interval does not.
    more_steps = parse_study(_with(training__steps=11)).trials()
    assert not {s.trial_id for s in a} & {s.trial_id for s in more_steps}
    other_ckpt = parse_study(_with(training__checkpoint_every=3)).trials()
    assert [s.trial_id for s in a] == [s.trial_id for s in other_ckpt]


def test_off_grid_strength_has_no_model_number():
    specs = parse_study(_with(methods={"beta_vae": [3], "factor_vae": [10]}, seeds=[0, 60])).trials()
    nums = {(s.method, s.seed): s.model_num for s in specs}
    assert nums[("beta_vae", 0)] is None
    assert nums[("factor_vae", 0)] == 300
    assert nums[("factor_vae", 60)] is None


def test_methods_keep_study_order():
    specs = parse_study(_with(methods={"annealed_vae": [5], "beta_vae": [1]})).trials()
    assert [s.method for s in specs] == ["beta_vae", "beta_vae", "annealed_vae", "annealed_vae"]


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        (_with(methods={"beta_vea": [1]}), "methods.beta_vea", "beta_vae"),
        (_with(datasets=["dsprites"]), "datasets[0]", "dsprites_full"),
        (_with(methods={"beta_vae": [-1]}), "methods.beta_vae[0]", "≥ 0"),
        (_with(methods={"beta_vae": "big"}), "methods.beta_vae", "reference"),
        (_with(seeds="three"), "seeds", "integers"),
        (_with(training__steps="10"), "training.steps", "integer"),
        (_with(training__stpes=10), "training.stpes", "steps"),
        (_with(evaluation__preset="quick"), "evaluation.preset", "paper"),
        (_with(evaluation__metrics=["migg"]), "evaluation.metrics[0]", "mig"),
        (_with(evaluation__representations=["median"]), "evaluation.representations[0]", "sampled"),
        (_with(resources__gpus_per_trial=-0.5), "resources.gpus_per_trial", "≥ 0"),
        (_with(sedes=3), "sedes", "seeds"),
        ({k: v for k, v in MINIMAL.items() if k != "methods"}, "methods", "missing"),
    ],
)
def test_malformed_study_names_file_and_field(data, field, expected, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(UserError) as info:
        load_study(path)
    message = str(info.value)
    assert str(path) in message
    assert f"'{field}'" in message
    assert expected in message


def test_unreadable_and_invalid_yaml(tmp_path):
    with pytest.raises(UserError, match="cannot read study file"):
        load_study(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: [unclosed\n")
    with pytest.raises(UserError, match="not valid YAML"):
        load_study(bad)


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        (_with(seeds=[99999999999999999999]), "seeds[0]", "≤ 4,294,967,295"),
        (_with(seeds=2**32 + 1), "seeds", "≤ 4,294,967,296"),
        (_with(training__batch_size=1), "training.batch_size", "≥ 2"),
        (_with(training__batch_size=10**8), "training.batch_size", "≤ 65,536"),
        (_with(training__steps=10**21), "training.steps", "≤ 10,000,000"),
        (_with(training__eval_batches=10**9), "training.eval_batches", "≤ 1,000,000"),
        (_with(resources__cpus_per_trial=0), "resources.cpus_per_trial", "> 0"),
        (_with(resources__cpus_per_trial=float("nan")), "resources.cpus_per_trial", "finite"),
        (_with(resources__cpus_per_trial=float("inf")), "resources.cpus_per_trial", "finite"),
        (_with(resources__gpus_per_trial=float("inf")), "resources.gpus_per_trial", "finite"),
        (_with(methods={"beta_vae": [float("inf")]}), "methods.beta_vae[0]", "finite"),
        (_with(resources__max_concurrent=-1), "resources.max_concurrent", "≥ 0"),
    ],
)
def test_out_of_range_values_refused_at_load(data, field, expected, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(UserError) as info:
        load_study(path)
    assert f"'{field}'" in str(info.value) and expected in str(info.value)


def test_largest_allowed_values_load():
    study = parse_study(_with(seeds=[0, 2**32 - 1], training__batch_size=2, resources__max_concurrent=0))
    assert study.seeds == (0, 2**32 - 1) and study.batch_size == 2 and study.resources.max_concurrent == 0


def test_non_utf8_study_file_names_file_and_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("study: t\n# caf\u00e9\n".encode("latin-1"))
    with pytest.raises(UserError, match=r"latin1.yaml: not UTF-8 text \(byte 0xe9 at line 2\)"):
        load_study(path)


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        (
            "study: a\nstudy: b\ndatasets: [dsprites_full]\nmethods: {beta_vae: [1]}\nseeds: 1\n",
            "study",
            (2, 1),
        ),
        (
            "study: a\ndatasets: [dsprites_full]\nmethods:\n  beta_vae: [1]\n  beta_vae: [4]\nseeds: 1\n",
            "beta_vae",
            (5, 4),
        ),
    ],
)
def test_duplicate_keys_rejected_naming_key_and_both_lines(text, key, lines, tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as info:
        load_study(path)
    assert f"duplicate key '{key}' at line {lines[0]} (first given at line {lines[1]})" in str(info.value)
    assert str(path) in str(info.value)


def test_huge_grid_is_counted_not_built():
    study = parse_study(_with(seeds=10**9))
    assert isinstance(study.seeds, range)
    assert study.trial_count() == 2 * 10**9
    first = next(study.iter_trials())
    assert (first.strength, first.seed) == (1.0, 0)
    with pytest.raises(UserError, match=r"2,000,000,000 trials.*--max-trials 2000000000"):
        check_trial_count(study)
    assert check_trial_count(study, max_trials=2 * 10**9) == 2 * 10**9
    small = parse_study(MINIMAL)
    assert check_trial_count(small) == small.trial_count() == len(small.trials()) == 4
