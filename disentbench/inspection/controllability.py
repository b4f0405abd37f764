"""Controllability: how well moving along a factor's axis changes that factor and only that factor.

Definition (also in docs/inspection.md). Let a_k be factor k's axis decorrelated from every
other factor's axis (``axes.decorrelate`` with all factors locked), and c(x) the factor
classifier's most likely value of every factor in image x. Draw N codes z ~ N(0, I) (seeded) and
move each a distance δ along a_k towards the prior's centre:

    z' = z − δ · s · a_k,   s = sign(⟨z, a_k⟩) (s = 1 where ⟨z, a_k⟩ = 0)

(towards the centre so the edit stays where the prior has mass). Decode both, classify both, and
count changes:

    T_k = P_z[ c_k(x') ≠ c_k(x) ]                       target change
    O_k = mean_{j ≠ k} P_z[ c_j(x') ≠ c_j(x) ]          mean change of the other factors
    C_k = T_k · (1 − O_k)                               ∈ [0, 1]

and the model's score is the mean of C_k over the factors. C_k = 1: every edit changed factor k
and none changed another factor; a decoder that ignores its input has T_k = 0, so C_k = 0; a
model whose every axis changes everything has O_k ≈ 1, so C_k ≈ 0. A factor the model never
varies (no axis) has T_k = 0 and C_k = 0.

Trust: a factor whose classifier accuracy on held-out images is below
``classifier.TRUST_THRESHOLD`` is not measured — its C_k is NaN and it does not enter other
factors' O_k — with a warning naming it; if no factor is trusted the score is NaN.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import numpy as np

from disentbench.inspection.axes import FeatureAxes, decorrelate
from disentbench.inspection.classifier import TRUST_THRESHOLD
from disentbench.inspection.visuals import decode_images

log = logging.getLogger(__name__)

#: Codes moved per factor (N) and the distance moved, in prior standard deviations (δ).
DEFAULT_NUM_CODES = 1000
DEFAULT_DISTANCE = 2.0


def controllability(
    model: Any,
    classifier: Any,
    axes: FeatureAxes,
    num_latents: int,
    *,
    num_codes: int = DEFAULT_NUM_CODES,
    distance: float = DEFAULT_DISTANCE,
    seed: int = 0,
    accuracy: dict[str, float] | None = None,
    threshold: float = TRUST_THRESHOLD,
) -> dict[str, float]:
    """``controllability.*`` keys: ``score``, and per factor ``<name>``, ``<name>.target_change``,
    ``<name>.other_change`` (see the module docstring).

    ``classifier.predict(images) -> (n, K)``; ``accuracy`` maps factor names to held-out accuracy
    (default: ``classifier.accuracy``).
    """
    names = list(axes.factor_names)
    accuracy = dict(classifier.accuracy if accuracy is None else accuracy)
    trusted = [k for k, name in enumerate(names) if accuracy.get(name, 0.0) >= threshold]
    untrusted = [name for k, name in enumerate(names) if k not in trusted]
    out: dict[str, float] = {}
    if untrusted:
        shown = ", ".join(f"{n} {accuracy.get(n, math.nan):.2f}" for n in untrusted)
        message = (
            f"controllability of {', '.join(untrusted)} is NaN: the factor classifier's held-out "
            f"accuracy ({shown}) is below the trust threshold {threshold}"
        )
        warnings.warn(message, stacklevel=2)
        log.warning(message)
    directions = decorrelate(axes.axes, locked=list(range(len(names))))
    z = np.random.RandomState(seed).standard_normal((num_codes, num_latents)).astype(np.float32)
    base = classifier.predict(decode_images(model, z))
    for k, name in enumerate(names):
        if k not in trusted:
            out.update(
                {f"controllability.{name}": math.nan, f"controllability.{name}.target_change": math.nan}
            )
            out[f"controllability.{name}.other_change"] = math.nan
            continue
        others = [j for j in trusted if j != k]
        axis = directions[k]
        if not np.all(np.isfinite(axis)):
            target, other = 0.0, 0.0
        else:
            side = np.where(z @ axis >= 0, 1.0, -1.0).astype(np.float32)
            moved = z - distance * side[:, None] * axis[None, :].astype(np.float32)
            changed = classifier.predict(decode_images(model, moved)) != base
            target = float(changed[:, k].mean())
            other = float(changed[:, others].mean()) if others else 0.0
        out[f"controllability.{name}"] = target * (1.0 - other)
        out[f"controllability.{name}.target_change"] = target
        out[f"controllability.{name}.other_change"] = other
    per_factor = [out[f"controllability.{names[k]}"] for k in trusted]
    if not per_factor:
        message = "controllability is NaN: the factor classifier is not trusted for any factor"
        warnings.warn(message, stacklevel=2)
        log.warning(message)
    out["controllability.score"] = float(np.mean(per_factor)) if per_factor else math.nan
    out["controllability.num_factors"] = float(len(per_factor))
    out["controllability.distance"] = float(distance)
    return out
