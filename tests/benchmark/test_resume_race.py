"""A worker that dies after Ray persisted its checkpoint, before the driver registered it.

Ray Tune copies a reported checkpoint to storage inside the worker and only then hands the
result to the driver, which registers it; a worker killed in between leaves a complete
``checkpoint_NNNNNN`` that ``tune.get_checkpoint()`` does not return on the retry. This test
makes that window certain (the worker copies the checkpoint as Ray would and exits at once) and
checks that the retried trial resumes from it rather than from step 0.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from disentbench.benchmark.runner import RunOptions, run_study
from disentbench.benchmark.study import load_study
from disentbench.results.records import existing_records


def _dies_between_persist_and_register(config: dict[str, Any]) -> None:
    """The runner's trainable, except that the first attempt dies right after persisting."""
    from ray import tune

    from disentbench.benchmark import runner

    trial = config["trial"]
    flag = Path(trial["storage"]).parent / "died-once"
    if flag.exists():
        return runner.tune_trainable(config)  # the retry: the real code path, unchanged
    flag.touch()
    report = tune.report

    def persist_then_die(metrics: dict, checkpoint: Any = None) -> None:
        if checkpoint is None:
            return report(metrics)
        experiment = Path(trial["storage"]) / f"{trial['specs'][0]['study']}-{trial['run_id']}"
        shutil.copytree(checkpoint.path, experiment / trial["trial_id"] / "checkpoint_000000")
        os._exit(1)  # before the result (and so the checkpoint) reaches the driver

    tune.report = persist_then_die
    runner.tune_trainable(config)


@pytest.mark.slow
def test_retry_resumes_from_a_persisted_but_unregistered_checkpoint(ray_session, dsprites_root, tmp_path):
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/
    study = {
        "study": "race",
        "datasets": ["dsprites_full"],
        "methods": {"beta_vae": [1]},
        "seeds": [0],
        "training": {"steps": 40, "batch_size": 16, "checkpoint_every": 20, "eval_batches": 2},
        "evaluation": {"preset": "smoke", "metrics": ["mig"], "representations": ["mean"]},
        "resources": {"cpus_per_trial": 1, "max_failures": 1},
    }
    path = tmp_path / "race.yaml"
    path.write_text(yaml.safe_dump(study))
    results = tmp_path / "results"
    options = RunOptions(data_root=str(dsprites_root))
    summary = run_study(load_study(path), results, options, trainable=_dies_between_persist_and_register)
    assert (results / "died-once").exists()
    assert summary.exit_code == 0
    (record,) = existing_records(results).values()
    assert record["status"] == "completed", record["error"]
    assert record["resumed_from_step"] == 20
    assert record["train_results"]["resumed_from_step"] == 20
