"""``disentbench inspect`` end to end on a small model trained on the reduced dSprites."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from _budget import CLASSIFIER_STEPS
from PIL import Image

from disentbench.cli import main
from disentbench.inspection import classifier as classifier_module


@pytest.fixture(scope="module")
def model_dir(dsprites_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("inspect") / "model"
    argv = [
        "train", "--dataset", "dsprites_full", "--method", "beta_vae", "--param", "beta=1",
        "--seed", "0", "--steps", "50", "--batch-size", "32", "--eval-batches", "2",
        "--threads", "1", "--device", "cpu", "--out", str(out), "--data-root", str(dsprites_root),
    ]  # fmt: skip
    assert main(argv) == 0
    return out


def _inspect(model_dir, dsprites_root, out, *extra):
    return main(
        [
            "inspect", str(model_dir), "--out", str(out), "--data-root", str(dsprites_root),
            "--num-codes", "600", "--controllability-codes", "150", "--threads", "1", *extra,
        ]
    )  # fmt: skip


@pytest.mark.slow
def test_inspect_writes_every_picture_and_the_json(model_dir, dsprites_root, tmp_path, capsys):
    out = tmp_path / "a"
    assert _inspect(model_dir, dsprites_root, out, "--classifier-steps", str(CLASSIFIER_STEPS)) == 0
    for name in ("reconstructions.png", "traversals.png", "prior_samples.png", "edits.png"):
        with Image.open(out / name) as image:
            assert image.width > 64 * 7 and image.height > 64, name
    assert sorted(p.name for p in (out / "traversals").glob("z*.png")) == sorted(
        f"z{j}.png" for j in range(10)
    )
    with Image.open(out / "traversals.gif") as gif:
        assert gif.is_animated and gif.n_frames == 18
    summary = json.loads((out / "inspection.json").read_text())
    latents = summary["latents"]
    assert len(latents["kl_per_dimension"]) == 10 and len(latents["code_variance"]) == 10
    kl = np.array(latents["kl_per_dimension"])
    assert list(np.argsort(-kl, kind="stable")) == latents["dimension_order"]
    accuracy = summary["classifier"]["held_out_accuracy"]
    assert set(accuracy) == {"shape", "scale", "orientation", "posX", "posY"}
    scores = summary["controllability"]
    assert {f"controllability.{n}.target_change" for n in accuracy} <= set(scores)
    trusted = [n for n, a in accuracy.items() if a >= classifier_module.TRUST_THRESHOLD]
    assert trusted, accuracy  # the classifier learns at least the easy factors
    assert 0.0 <= scores["controllability.score"] <= 1.0
    assert scores["controllability.num_factors"] == len(trusted)
    assert set(summary["axes"]["fit_quality"]) == set(accuracy)
    assert summary["decorrelated_axes"]["locked"] == ["shape", "scale", "orientation", "posX", "posY"]

    # Deterministic: same model, classifier (now cached) and seed -> the same files.
    again = tmp_path / "b"
    assert _inspect(model_dir, dsprites_root, again, "--classifier-steps", str(CLASSIFIER_STEPS)) == 0
    assert json.loads((again / "inspection.json").read_text()) == summary
    for name in ("traversals.png", "edits.png", "traversals.gif", "traversals/z3.png"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    capsys.readouterr()


@pytest.mark.slow
def test_inspect_bad_input(model_dir, dsprites_root, tmp_path, capsys):
    assert _inspect(model_dir, dsprites_root, tmp_path / "o", "--lock", "shape,colour", "--no-axes") == 2
    assert "--lock: unknown factor 'colour'" in capsys.readouterr().err
    assert _inspect(model_dir, dsprites_root, tmp_path / "o", "--dataset", "noisy_dsprites") == 2
    assert "trained on 'dsprites_full', not on 'noisy_dsprites'" in capsys.readouterr().err
    no_weights = tmp_path / "no_weights"
    shutil.copytree(model_dir, no_weights, ignore=shutil.ignore_patterns("checkpoint"))
    (no_weights / "weights.safetensors").unlink()
    assert _inspect(no_weights, dsprites_root, tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "weights.safetensors" in err and "missing" in err  # names the absent file
    assert _inspect(tmp_path / "nowhere", dsprites_root, tmp_path / "o") == 2
    assert "no such model directory" in capsys.readouterr().err


@pytest.mark.slow
def test_a_weak_classifier_gives_nan_controllability_with_a_warning(
    model_dir, dsprites_root, tmp_path, caplog
):
    out = tmp_path / "weak"
    assert _inspect(model_dir, dsprites_root, out, "--classifier-steps", "1") == 0
    summary = json.loads((out / "inspection.json").read_text())
    assert summary["controllability"]["controllability.score"] is None  # NaN in strict JSON
    assert "below the trust threshold" in caplog.text


def test_inspect_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["inspect", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--out", "--seed", "--lock", "--codes", "--classifier-steps", "--no-axes"):
        assert option in out
