"""What a study's trial records from the inspection, when its study file asks for it.

* ``evaluation.metrics`` naming ``controllability`` (a *model* score: it needs the decoder, so it
  is not one of ``metrics.evaluate``'s representation scores) adds the ``controllability.*`` keys
  (``controllability.py``) to the scores of every representation of the record — the same values
  for ``mean`` and ``sampled``, since the score does not depend on the encoder — so the results
  table, the agreement analysis and the leaderboard treat it like any score.
* ``evaluation.save_traversals: true`` stores the model's traversal picture (``traversals.png`` of
  ``inspect``) in the record, base64-encoded under ``images``; the report shows it for the best,
  median and worst model of each score (``disentbench.reports.traversals``). In the record, so
  the report stays a function of the results directory and no shared file system is needed
  between the Ray workers and the driver.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Scores computed from the model (decoder and encoder), not from a representation function.
MODEL_METRICS: tuple[str, ...] = ("controllability",)
#: Key of the record's pictures: name -> base64 PNG.
IMAGES_KEY = "images"
TRAVERSALS_IMAGE = "traversals.png"


def representation_metrics(metrics: Sequence[str] | None) -> list[str] | None:
    """The study's metric list without the model metrics (what ``metrics.evaluate`` runs)."""
    return None if metrics is None else [m for m in metrics if m not in MODEL_METRICS]


def model_scores(
    model: Any,
    data: Any,
    metrics: Sequence[str] | None,
    *,
    seed: int = 0,
    data_root: str | os.PathLike[str] | None = None,
) -> dict[str, float]:
    """The ``controllability.*`` keys if ``metrics`` names ``controllability``, else nothing.

    The data set's factor classifier is trained on first use and cached (``classifier.py``).
    Axes are fitted on decoded prior samples; ``seed`` fixes every draw.
    """
    if not metrics or "controllability" not in metrics:
        return {}
    from disentbench.inspection import classifier as classifier_module
    from disentbench.inspection.axes import fit_axes, labelled_codes
    from disentbench.inspection.classifier import get_classifier
    from disentbench.inspection.controllability import controllability

    classifier = get_classifier(
        data, data_root=data_root, steps=classifier_module.DEFAULT_STEPS, progress=False
    )
    _, observations = data.sample(1, np.random.RandomState(seed))
    num_latents = model.encode(observations)[0].shape[1]
    codes, labels = labelled_codes(model, classifier, data, num_latents, seed=seed)
    axes = fit_axes(codes, labels, data.factor_names, data.factors_num_values, seed=seed)
    return controllability(model, classifier, axes, num_latents, seed=seed)


def traversal_images(model: Any, data: Any, seed: int = 0) -> dict[str, str]:
    """``{"traversals.png": base64 PNG}``: the overview traversal of ``inspect``."""
    from disentbench.inspection.inspect_model import traversal_overview
    from disentbench.inspection.pictures import png_bytes

    image, _ = traversal_overview(model, data, seed)
    return {TRAVERSALS_IMAGE: base64.b64encode(png_bytes(image)).decode("ascii")}
