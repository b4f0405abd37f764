"""Study files: validation errors name file and field; the grid has the reference's numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from disentbench.benchmark.study import load_study, parse_study
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
