"""Edits: one image moved along each factor's axis, as fitted and decorrelated, side by side.

Row k shows the base code z₀ moved to z₀ + t·a_k for t in ``EDIT_STEPS`` (prior standard
deviations); the left grid uses the axes as fitted, the right one the axes decorrelated from the
locked factors (``axes.decorrelate``). If the axes were already orthogonal both grids agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from disentbench.inspection import pictures
from disentbench.inspection.visuals import decode_images

#: Distances along an axis, in prior standard deviations.
EDIT_STEPS = np.linspace(-3.0, 3.0, 7)


def edit_tiles(
    model: Any, base_code: np.ndarray, axes: np.ndarray, steps: np.ndarray = EDIT_STEPS
) -> np.ndarray:
    """``(K, len(steps), C, 64, 64)`` decoded edits; rows of undefined (NaN) axes are black."""
    base_code = np.asarray(base_code, dtype=np.float32).reshape(-1)
    defined = np.all(np.isfinite(axes), axis=1)
    safe = np.where(defined[:, None], axes, 0.0).astype(np.float32)
    codes = base_code[None, None, :] + steps[None, :, None].astype(np.float32) * safe[:, None, :]
    images = decode_images(model, codes.reshape(-1, base_code.size))
    images = images.reshape(axes.shape[0], len(steps), *images.shape[1:])
    images[~defined] = 0.0
    return images


def render_edits(
    model: Any,
    base_code: np.ndarray,
    factor_names: Sequence[str],
    fitted: np.ndarray,
    decorrelated: np.ndarray,
    locked: Sequence[str],
    steps: np.ndarray = EDIT_STEPS,
) -> Image.Image:
    """The side-by-side picture (see the module docstring)."""
    labels = [f"{t:+.1f}" for t in steps]
    rows = [n if np.all(np.isfinite(fitted[k])) else f"{n} (no axis)" for k, n in enumerate(factor_names)]
    left = pictures.grid(edit_tiles(model, base_code, fitted, steps), rows, labels, title="axes as fitted")
    right = pictures.grid(
        edit_tiles(model, base_code, decorrelated, steps),
        rows,
        labels,
        title="decorrelated from " + (", ".join(locked) if locked else "nothing"),
    )
    return pictures.side_by_side([left, right], gap=24)
