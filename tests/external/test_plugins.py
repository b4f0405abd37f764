"""Method plugins: loaded by reference or entry point, the contract checked, trained, in studies."""

from __future__ import annotations

import logging

import pytest

from disentbench.benchmark.study import parse_study
from disentbench.benchmark.trial import run_trial
from disentbench.cli import main
from disentbench.datasets.squares import SquaresData
from disentbench.errors import UserError
from disentbench.models import METHODS, TrainConfig, get_method, train
from disentbench.models.plugins import PluginError

STUDY = {
    "study": "plug",
    "datasets": ["dsprites_full"],
    "seeds": [0],
    "training": {"steps": 3, "batch_size": 8, "eval_batches": 1, "checkpoint_every": 3},
    "evaluation": {"preset": "smoke", "metrics": ["mig"], "representations": ["mean"]},
}


def test_function_plugin_by_reference(plugin_path):
    spec = get_method("extplug.objectives:capped_beta_vae")
    assert spec.name == "extplug.objectives:capped_beta_vae"
    assert spec.hyperparameter == "beta" and dict(spec.fixed) == {"cap": 50.0} and spec.grid == ()
    assert spec.resolve_params({"beta": 4}) == {"beta": 4.0, "cap": 50.0}
    with pytest.raises(UserError, match=r"params.beta: required"):
        spec.resolve_params({})
    assert "extplug.objectives:capped_beta_vae" not in METHODS  # the built-in registry is unchanged


def test_method_spec_plugin_trains_like_a_builtin(plugin_path):
    config = TrainConfig(
        dataset="synthetic_squares",
        method="extplug.objectives:capped_vae",
        params={"beta": 4},
        steps=3,
        batch_size=8,
        eval_batches=1,
        device="cpu",
        prefetch=False,
    )
    model = train(config, SquaresData())
    assert model.config.resolved_params == {"beta": 4.0, "cap": 50.0}
    # The regulariser is what the plugin says: β·min(KL, cap) (KL < cap here).
    stats = model.training_stats
    assert stats["regularizer"] == pytest.approx(4.0 * min(stats["kl_loss"], 50.0), rel=1e-5)


def test_entry_point_plugin_is_listed_and_loads(plugin_path, capsys):
    spec = get_method("capped_vae")
    assert spec.grid == (1, 2, 4, 8) and spec.name == "capped_vae"
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "capped_vae: beta in [1, 2, 4, 8], cap=50" in out
    assert "broken_vae: does not load" in out and "boom" in out  # a broken one says why


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("extplug_missing.mod:thing", "cannot import module 'extplug_missing.mod'"),
        ("extplug.objectives:nothing", "has no attribute 'nothing'"),
        ("broken_vae", "entry point broken_vae = extplug_broken:anything.*boom"),
        ("extplug.broken:no_keywords", "at least one keyword hyper-parameter"),
        ("extplug.broken:bad_fixed", "parameter 'mode' needs a numeric default"),
        ("extplug.broken:wrong_signature", r"does not accept \(out: EncoderOutputs, \*, gamma\)"),
        ("extplug.broken:not_a_method", "expected a MethodSpec or a regulariser function"),
        ("no_such_method", "unknown method 'no_such_method'"),
    ],
)
def test_plugin_load_errors_name_the_plugin(plugin_path, method, message):
    with pytest.raises(UserError, match=message):
        get_method(method)


def test_non_scalar_loss_is_a_clear_error(plugin_path):
    config = TrainConfig(
        dataset="synthetic_squares",
        method="extplug.broken:per_example",
        steps=2,
        batch_size=8,
        prefetch=False,
    )
    with pytest.raises(PluginError, match=r"extplug.broken:per_example.*shape \(8,\).*scalar \(0-d\)"):
        train(config, SquaresData())


def test_train_cli_rejects_a_broken_plugin(plugin_path, tmp_path, capsys):
    argv = [
        "train",
        "--dataset",
        "dsprites_full",
        "--method",
        "extplug.broken:bad_fixed",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 2
    assert "extplug.broken:bad_fixed" in capsys.readouterr().err


def test_study_with_plugins(plugin_path):
    study = parse_study(
        {
            **STUDY,
            "methods": {
                "extplug.objectives:capped_beta_vae": {"beta": [2, 3]},
                "beta_vae": [1],
                "capped_vae": "reference",
            },
        }
    )
    trials = study.trials()
    assert [t.method for t in trials][:1] == ["beta_vae"]  # built-ins first, in the study order
    plugin_trials = [t for t in trials if t.method != "beta_vae"]
    assert len(plugin_trials) == 2 + 4
    assert all(t.model_num is None for t in plugin_trials) and trials[0].model_num == 0
    capped = [t for t in plugin_trials if t.method.startswith("extplug")]
    assert capped[0].params == {"beta": 2.0, "cap": 50.0} and capped[0].hyperparameter == "beta"
    assert ":" not in capped[0].trial_id and "extplug.objectives-capped_beta_vae" in capped[0].trial_id


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        (
            {"extplug.objectives:capped_beta_vae": {"gamma": [1]}},
            "sweeps 'beta', but the study names 'gamma'",
        ),
        ({"extplug.objectives:capped_beta_vae": "reference"}, "no reference grid"),
        ({"extplug.objectives:capped_beta_vae": {"beta": [1], "cap": [2]}}, "with one parameter"),
        ({"extplug_broken:x": [1]}, "cannot import module 'extplug_broken'"),
        ({"not_a_plugin": [1]}, "unknown method"),
    ],
)
def test_study_plugin_errors_name_the_field(plugin_path, methods, message):
    with pytest.raises(UserError, match=message) as info:
        parse_study({**STUDY, "methods": methods})
    assert "field 'methods." in str(info.value)


def test_unloadable_plugin_trial_is_recorded_failed(plugin_path, dsprites_root, tmp_path, caplog):
    """A plugin that does not load (its parameter named) leaves the study valid; its trial fails."""
    with caplog.at_level(logging.WARNING):
        study = parse_study({**STUDY, "methods": {"extplug_broken:vae": {"beta": [1]}}})
    assert "extplug_broken" in caplog.text and "recorded as failed" in caplog.text
    (spec,) = study.trials()
    record = run_trial(spec, checkpoint_dir=str(tmp_path / "ckpt"), data_root=str(dsprites_root))
    assert record["status"] == "failed"
    assert record["error"].startswith("PluginError: method plugin 'extplug_broken:vae'")
    assert "boom" in record["error"]


def test_non_scalar_plugin_trial_is_recorded_failed(plugin_path, dsprites_root, tmp_path):
    study = parse_study({**STUDY, "methods": {"extplug.broken:per_example": {"beta": [1]}}})
    (spec,) = study.trials()
    record = run_trial(spec, checkpoint_dir=str(tmp_path / "ckpt"), data_root=str(dsprites_root))
    assert record["status"] == "failed" and "expected a scalar (0-d)" in record["error"]


def test_builtins_are_not_wrapped():
    assert get_method("beta_vae") is METHODS["beta_vae"]
