"""A study asks for ``controllability`` and traversal pictures; a trial records them."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from disentbench.benchmark.study import parse_study
from disentbench.benchmark.trial import run_trial
from disentbench.errors import UserError
from disentbench.inspection import classifier as classifier_module
from disentbench.results import load
from disentbench.results.records import write_record

STUDY = {
    "study": "tiny_inspect",
    "datasets": ["dsprites_full"],
    "methods": {"beta_vae": [1]},
    "seeds": 1,
    "training": {"steps": 20, "batch_size": 16, "eval_batches": 1},
    "evaluation": {
        "preset": "smoke",
        "metrics": ["mig", "controllability"],
        "representations": ["mean", "sampled"],
        "save_traversals": True,
    },
}


def test_study_accepts_controllability_and_save_traversals():
    study = parse_study(STUDY)
    spec = study.trials()[0]
    assert spec.metrics == ("mig", "controllability") and spec.save_traversals
    assert not parse_study({**STUDY, "evaluation": {"metrics": ["mig"]}}).trials()[0].save_traversals
    with pytest.raises(UserError, match=r"evaluation\.save_traversals"):
        parse_study({**STUDY, "evaluation": {"save_traversals": "yes"}})
    with pytest.raises(UserError, match="controllability"):
        parse_study({**STUDY, "evaluation": {"metrics": ["controlability"]}})


@pytest.mark.slow
def test_trial_records_controllability_and_the_traversal_picture(
    dsprites_root, factor_classifier, tmp_path, monkeypatch
):
    # The trial loads the session's classifier from its data root's cache instead of training one.
    monkeypatch.setattr(classifier_module, "DEFAULT_STEPS", factor_classifier.info["steps"])

    def no_training(*args, **kwargs):
        raise AssertionError("the trial should have loaded the cached classifier")

    monkeypatch.setattr(classifier_module, "train_classifier", no_training)
    spec = parse_study(STUDY).trials()[0]
    record = run_trial(
        spec, checkpoint_dir=str(tmp_path / "ckpt"), data_root=str(dsprites_root), num_threads=1
    )
    assert record["status"] == "completed", record["error"]
    for representation in ("mean", "sampled"):
        scores = record["scores"][representation]
        assert "mig.discrete_mig" in scores and "controllability.score" in scores
        assert "error.controllability" not in scores
        for name in ("shape", "scale", "orientation", "posX", "posY"):
            assert f"controllability.{name}.target_change" in scores
    mean, sampled = record["scores"]["mean"], record["scores"]["sampled"]
    keys = [k for k in mean if k.startswith("controllability.")]
    np.testing.assert_array_equal([mean[k] for k in keys], [sampled[k] for k in keys])  # a model score
    png = base64.b64decode(record["images"]["traversals.png"])
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.height > 10 * 64
    write_record(tmp_path / "results", record)
    table = load(tmp_path / "results")
    assert "controllability.score" in table.columns and "images" not in table.columns
