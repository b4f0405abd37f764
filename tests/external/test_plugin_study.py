"""A plugin regulariser from a test package trains through ``disentbench run`` (real Ray, workers
see the package through PYTHONPATH) next to a built-in, and shows up in the report; a plugin that
does not load is recorded as failed while the study goes on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from disentbench.cli import main
from disentbench.results import load

REPO = Path(__file__).resolve().parents[2]
PLUGIN = "extplug.objectives:capped_beta_vae"


@pytest.mark.slow
def test_plugin_runs_through_a_study_and_the_report(plugin_path, dsprites_root, tmp_path, capsys):
    study = tmp_path / "plugin_study.yaml"
    study.write_text(
        yaml.safe_dump(
            {
                "study": "plugin_study",
                "datasets": ["dsprites_full"],
                "methods": {"beta_vae": [1], PLUGIN: {"beta": [4]}, "extplug_broken:vae": {"beta": [1]}},
                "seeds": [0],
                "training": {"steps": 20, "batch_size": 16, "checkpoint_every": 10, "eval_batches": 2},
                "evaluation": {"preset": "smoke", "metrics": ["mig"], "representations": ["mean"]},
                "resources": {"cpus_per_trial": 1, "max_failures": 0},
            }
        )
    )
    results = tmp_path / "results"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugin_path), str(REPO), os.environ.get("PYTHONPATH", "")]),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    argv = ["run", str(study), "--results", str(results), "--data-root", str(dsprites_root)]
    done = subprocess.run(
        [sys.executable, "-m", "disentbench.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # 1: the broken plugin's trial failed

    table = load(results)
    by_method = table.set_index("method")
    assert by_method.loc["beta_vae", "status"] == "completed" and by_method.loc["beta_vae", "model_num"] == 0
    plugin = by_method.loc[PLUGIN]
    assert plugin["status"] == "completed" and plugin["hyperparameter"] == "beta" and plugin["strength"] == 4
    assert 0.0 <= plugin["mig.discrete_mig"] <= 1.0 and plugin["train.regularizer"] > 0
    assert str(plugin["model_num"]) == "<NA>"
    broken = by_method.loc["extplug_broken:vae"]
    assert broken["status"] == "failed" and "boom" in broken["error"]

    assert main(["report", str(results)]) == 0
    html = (results / "report" / "report.html").read_text()
    assert PLUGIN in html
    capsys.readouterr()
    assert main(["leaderboard", str(results), "--scores", "mig.discrete_mig", "--highlight", PLUGIN]) == 0
    out = capsys.readouterr().out
    assert f"| {PLUGIN} |" in out and "Placement of" in out
