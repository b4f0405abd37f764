"""``inspect_model`` through the Python API, on hand-made generators (no training)."""

from __future__ import annotations

import json

import numpy as np
from _generators import QuantisedGenerator
from PIL import Image

from disentbench import datasets
from disentbench.inspection.inspect_model import inspect_model


def test_colour_pictures_without_a_classifier(dsprites_root, tmp_path):
    data = datasets.get("color_dsprites", root=dsprites_root)
    summary = inspect_model(QuantisedGenerator(data, 10), data, tmp_path, seed=3)
    with Image.open(tmp_path / "traversals.png") as image:
        assert image.mode == "RGB"
    assert "controllability" not in summary and not (tmp_path / "edits.png").exists()
    saved = json.loads((tmp_path / "inspection.json").read_text())
    assert saved["dataset"] == "color_dsprites" and saved["seed"] == 3
    assert np.allclose(saved["latents"]["kl_per_dimension"], 0.0)  # this "encoder" is the prior


def test_axes_edits_and_scores_with_an_exact_classifier(reduced_dsprites, lookup_classifier, tmp_path):
    generator = QuantisedGenerator(reduced_dsprites, 10)
    summary = inspect_model(
        generator, reduced_dsprites, tmp_path, classifier=lookup_classifier, lock=["shape", "scale"],
        num_codes=1500, controllability_codes=150,
    )  # fmt: skip
    assert summary["decorrelated_axes"]["locked"] == ["shape", "scale"]
    assert summary["controllability"]["controllability.score"] > 0.9
    with Image.open(tmp_path / "edits.png") as image:
        assert image.width > 2 * 7 * 64
