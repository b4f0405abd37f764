"""``inspect_model``: every picture and statistic of one trained model, written to a folder.

Writes (all deterministic for a given model, classifier and ``seed``)::

    reconstructions.png        fixed observations (top) and their reconstructions (bottom)
    traversals.png             one observation, every latent swept over the prior (rows by KL)
    traversals/z<j>.png        per latent dimension: several observations swept over the prior
    traversals.gif             all dimensions (columns, by KL) and observations (rows), animated
    prior_samples.png          images decoded from z ~ N(0, I)
    edits.png                  one image moved along each factor axis, as fitted | decorrelated
    inspection.json            per-dimension KL, code mean/variance, classifier accuracy, axes,
                               GLM fit quality, controllability (``controllability.*`` keys)

The factor classifier, axes and controllability need a ground-truth data set; the pictures of
the latent space need only the model and a few observations.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from disentbench.datasets.base import GroundTruthData
from disentbench.errors import UserError
from disentbench.inspection import axes as axes_module
from disentbench.inspection import pictures, visuals
from disentbench.inspection.controllability import DEFAULT_DISTANCE, DEFAULT_NUM_CODES, controllability
from disentbench.inspection.edits import render_edits
from disentbench.inspection.latent_stats import latent_statistics
from disentbench.io import write_json_atomic

log = logging.getLogger(__name__)

NUM_RECONSTRUCTIONS = 12
NUM_TRAVERSAL_BASES = 5
TRAVERSAL_STEPS = 10
NUM_PRIOR_SAMPLES = 32
#: Observations encoded for the per-dimension statistics.
NUM_STATISTICS = 2000
GIF_FPS = 8


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinite floats as ``None`` (strict JSON)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def check_dataset(model: Any, data: GroundTruthData) -> None:
    """``UserError`` unless ``data`` is the data set the model was trained on (same channels)."""
    config = getattr(model, "config", None)
    trained_on = getattr(config, "dataset", None)
    if trained_on is not None and trained_on != data.name:
        raise UserError(
            f"the model was trained on {trained_on!r}, not on {data.name!r}; inspect it on its own data set"
        )
    channels = getattr(model, "num_channels", data.observation_shape[0])
    if channels != data.observation_shape[0]:
        raise UserError(
            f"the model takes {channels}-channel images but {data.name!r} has {data.observation_shape[0]}"
        )


def traversal_overview(
    model: Any, data: GroundTruthData, seed: int = 0, steps: int = TRAVERSAL_STEPS
) -> tuple[Image.Image, dict[str, Any]]:
    """The ``traversals.png`` picture (one observation, rows = dimensions by KL) and the statistics."""
    _, observations = visuals.fixed_observations(data, NUM_STATISTICS, seed)
    mean, logvar = model.encode(observations)
    stats = latent_statistics(mean, logvar)
    order, kl = stats["dimension_order"], stats["kl_per_dimension"]
    values = visuals.traversal_values(steps)
    tiles = visuals.traversals(model, mean[:1], order, values)[:, 0]  # (dims, steps, C, H, W)
    image = pictures.grid(
        tiles,
        [f"z{j} KL {kl[j]:.2f}" for j in order],
        [f"{v:+.1f}" for v in values],
        title="latent traversals (rows by KL, nats)",
    )
    return image, stats


def inspect_model(
    model: Any,
    data: GroundTruthData,
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    classifier: Any | None = None,
    lock: Sequence[str] | None = None,
    codes: str = "prior",
    num_codes: int = 5000,
    controllability_codes: int = DEFAULT_NUM_CODES,
    distance: float = DEFAULT_DISTANCE,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the pictures and ``inspection.json`` of ``model`` into ``out_dir``; return the JSON.

    ``classifier``: the data set's factor classifier (``classifier.get_classifier``); without one
    the axes, edits and controllability are left out. ``lock``: factor names the decorrelated
    axes are made orthogonal to (default: every factor). ``codes``: ``prior`` or ``encoded``
    (``axes.labelled_codes``).
    """
    check_dataset(model, data)
    if codes not in axes_module.CODE_SOURCES:
        raise UserError(f"codes: expected one of {', '.join(axes_module.CODE_SOURCES)}, got {codes!r}")
    out = Path(out_dir)
    (out / "traversals").mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"dataset": data.name, "data": dict(data.provenance), "seed": seed}
    summary.update(extra or {})

    log.info("inspect: latent statistics and traversals")
    overview, stats = traversal_overview(model, data, seed)
    pictures.save_png(overview, out / "traversals.png")
    summary["latents"] = stats
    num_latents = len(stats["kl_per_dimension"])
    order, kl = stats["dimension_order"], stats["kl_per_dimension"]

    _, observations = visuals.fixed_observations(data, NUM_STATISTICS, seed)
    shown = observations[:NUM_RECONSTRUCTIONS]
    recon = visuals.reconstructions(model, shown)
    pictures.save_png(
        pictures.grid(np.stack([shown, recon]), ["input", "output"], title="reconstructions"),
        out / "reconstructions.png",
    )

    values = visuals.traversal_values(TRAVERSAL_STEPS)
    bases = model.encode(observations[:NUM_TRAVERSAL_BASES])[0]
    sweeps = visuals.traversals(model, bases, order, values)  # (dims, bases, steps, C, H, W)
    step_labels = [f"{v:+.1f}" for v in values]
    for rank, j in enumerate(order):
        title = f"z{j}: rank {rank + 1} by KL ({kl[j]:.2f} nats)"
        pictures.save_png(
            pictures.grid(sweeps[rank], None, step_labels, title=title), out / "traversals" / f"z{j}.png"
        )
    frames_at = list(range(TRAVERSAL_STEPS)) + list(range(TRAVERSAL_STEPS - 2, 0, -1))
    frames = [
        pictures.grid(
            sweeps[:, :, t].transpose(1, 0, 2, 3, 4),
            None,
            [f"z{j}" for j in order],
            title=f"value {values[t]:+.2f}",
        )
        for t in frames_at
    ]
    pictures.save_gif(frames, out / "traversals.gif", fps=GIF_FPS)
    summary["traversal_values"] = values.tolist()

    samples = visuals.prior_samples(model, NUM_PRIOR_SAMPLES, num_latents, seed + 1)
    pictures.save_png(
        pictures.grid(samples.reshape(4, -1, *samples.shape[1:]), title="samples from the prior"),
        out / "prior_samples.png",
    )

    if classifier is not None:
        summary.update(
            _factor_axes(
                model, data, classifier, out, bases[0], num_latents,
                seed=seed, lock=lock, codes=codes, num_codes=num_codes,
                controllability_codes=controllability_codes, distance=distance,
            )
        )  # fmt: skip
    write_json_atomic(out / "inspection.json", json_safe(summary))
    return summary


def _factor_axes(
    model: Any,
    data: GroundTruthData,
    classifier: Any,
    out: Path,
    base_code: np.ndarray,
    num_latents: int,
    *,
    seed: int,
    lock: Sequence[str] | None,
    codes: str,
    num_codes: int,
    controllability_codes: int,
    distance: float,
) -> dict[str, Any]:
    """Axes, decorrelated axes, ``edits.png`` and the controllability keys."""
    names = list(data.factor_names)
    locked_names = list(names if lock is None else lock)
    log.info("inspect: feature axes from %d %s codes", num_codes, codes)
    z, labels = axes_module.labelled_codes(
        model, classifier, data, num_latents, source=codes, num=num_codes, seed=seed
    )
    fitted = axes_module.fit_axes(z, labels, names, data.factors_num_values, seed=seed)
    locked = fitted.index(locked_names)
    decorrelated = axes_module.decorrelate(fitted.axes, locked)
    pictures.save_png(
        render_edits(model, base_code, names, fitted.axes, decorrelated, locked_names), out / "edits.png"
    )
    log.info("inspect: controllability")
    scores = controllability(
        model, classifier, fitted, num_latents, num_codes=controllability_codes, distance=distance, seed=seed
    )
    return {
        "classifier": {
            "held_out_accuracy": classifier.accuracy,
            **{
                k: v
                for k, v in getattr(classifier, "info", {}).items()
                if k in ("cache_key", "steps", "train_seconds")
            },
        },
        "axes": {"codes": codes, "num_codes": num_codes, **fitted.to_dict()},
        "decorrelated_axes": {
            "locked": locked_names,
            "axes": {n: decorrelated[k].tolist() for k, n in enumerate(names)},
        },
        "controllability": scores,
    }
