"""Study files with the weakly-supervised methods: the grid, its ids, and k checked at load time
(docs/weak.md, docs/reference/weak.md §3.3, §5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from disentbench.benchmark.study import load_study, parse_study
from disentbench.errors import UserError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def _study(methods: dict, datasets: list[str] | None = None) -> dict:
    return {"study": "w", "datasets": datasets or ["dsprites_full"], "methods": methods, "seeds": 2}


def test_weakly_supervised_study_grid():
    study = load_study(CONFIGS / "weakly_supervised_study.yaml")
    assert study.trial_count() == 5 * 4 * 6 * 2 * 10 == 2400
    trials = study.trials()
    assert len(trials) == 2400 and len({t.trial_id for t in trials}) == 2400
    assert all(t.model_num is None for t in trials)  # the reference numbers no weak model
    assert {t.method for t in trials} == {"gvae", "ml_vae", "ada_gvae", "ada_ml_vae"}
    assert {t.params["k"] for t in trials} == {1, -1}
    assert {t.params["beta"] for t in trials} == {1, 2, 4, 6, 8, 16}
    first = trials[0]
    assert first.trial_id.startswith("dsprites_full.gvae.1.k1.s0.")
    assert study.stand_in == "refuse" and "unsupervised" not in (study.metrics or ())


def test_weak_mini_has_both_groups_on_one_data_set():
    study = load_study(CONFIGS / "weak_mini.yaml")
    trials = study.trials()
    assert len(trials) == 18
    assert {t.method for t in trials} == {"beta_vae", "ada_gvae", "ada_ml_vae"}
    assert {t.params.get("k") for t in trials if t.method != "beta_vae"} == {1}
    assert study.resources.models_per_trial == 3


def test_sweeping_k_multiplies_the_grid_and_keeps_other_ids():
    study = parse_study(_study({"ada_gvae": {"beta": [1, 4], "k": [1, -1]}, "beta_vae": [1]}))
    assert study.trial_count() == len(study.trials()) == (2 * 2 + 1) * 2
    ids = [t.trial_id for t in study.trials() if t.method == "ada_gvae"]
    assert [i.rsplit(".", 1)[0] for i in ids[:4]] == [
        "dsprites_full.ada_gvae.1.k1.s0",
        "dsprites_full.ada_gvae.1.k1.s1",
        "dsprites_full.ada_gvae.1.k-1.s0",
        "dsprites_full.ada_gvae.1.k-1.s1",
    ]
    # An unsupervised trial's id does not change with the new sweep syntax: this id was written by
    # `run configs/mini.yaml` before weakly-supervised methods existed.
    mini = load_study(CONFIGS / "mini.yaml")
    assert mini.trials()[0].trial_id == "dsprites_full.beta_vae.1.s0.fc497d7b18"
    # The default k (1) is used, recorded in the params and shown in the id, when the study does
    # not name k.
    plain = parse_study(_study({"ada_ml_vae": [4]}))
    assert {t.params["k"] for t in plain.trials()} == {1}
    assert plain.trials()[0].trial_id.startswith("dsprites_full.ada_ml_vae.4.k1.s0.")


@pytest.mark.parametrize(
    ("methods", "datasets", "message"),
    [
        (
            {"ada_gvae": {"beta": [1], "k": [1, 4]}},
            ["dsprites_full", "cars3d"],
            r"methods\.ada_gvae\.k.*cars3d.*1 … 3",
        ),
        ({"gvae": {"beta": [1], "k": 0}}, None, r"methods\.gvae\.k.*dsprites_full"),
        ({"ml_vae": {"beta": [1], "k": [1.5]}}, None, r"methods\.ml_vae\.k\[0\].*integer"),
        ({"ada_gvae": {"beta": [1], "kk": 1}}, None, r"methods\.ada_gvae\.kk.*unknown parameter"),
        ({"ada_gvae": {"k": [1]}}, None, r"methods\.ada_gvae.*expected \{beta"),
        ({"ada_gvae": {"beta": [1], "k": [1, 1]}}, None, r"methods\.ada_gvae\.k.*duplicate"),
    ],
)
def test_bad_weak_settings_are_refused_at_load(methods, datasets, message):
    with pytest.raises(UserError, match=message):
        parse_study(_study(methods, datasets))
