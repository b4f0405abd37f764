"""Feature axes: the direction in latent space along which each ground-truth factor changes.

The TL-GAN recipe for any generative model with a latent space: take latent codes (drawn from the
prior and decoded, or the codes of encoded observations), label each with the factor values of its
image, and fit one generalised linear model per factor from code to label. Its weight vector is
the factor's axis.

* Ordinal factors (scale, position, orientation, hue, ...): ridge regression (L2, ``alpha``) of the
  value index scaled to [0, 1]; fit quality = held-out R². Axis = the normalised weight vector.
* Categorical factors (``CATEGORICAL_FACTORS``: shape, object, category, colours, lighting):
  multinomial logistic regression (L2, ``C``); fit quality = held-out accuracy. With more than two
  values there is one weight vector per value; the axis is the top right-singular vector of the
  centred weight matrix — the one direction along which the predicted value changes most (for
  two values it is the weight vector itself).

Axes are unit vectors; their sign is fixed so that the largest-magnitude component is positive
(a categorical factor has no natural direction; for an ordinal one, ``direction_sign`` says
whether +axis increases the value). A factor whose labels never vary has no axis (NaN).

Decorrelation (``decorrelate``): the axis of factor k made orthogonal to the axes of the locked
factors (other than k) by projecting them out (Gram–Schmidt on the locked axes, QR), so moving
along it leaves the locked factors' linear predictors unchanged.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Factor names treated as categorical (no order between values); every other factor is ordinal.
CATEGORICAL_FACTORS = frozenset(
    {"shape", "object_shape", "object_color", "background_color", "category", "object", "lighting"}
)
RIDGE_ALPHA = 1.0
LOGISTIC_C = 1.0
#: Share of the labelled codes held out to measure the fit quality of each GLM.
HELD_OUT_FRACTION = 0.2
#: Axes whose norm after projection falls below this are degenerate (NaN).
MIN_NORM = 1e-6


def factor_kind(name: str) -> str:
    """``categorical`` or ``ordinal``."""
    return "categorical" if name in CATEGORICAL_FACTORS else "ordinal"


@dataclass
class FeatureAxes:
    """One unit axis per factor (rows of ``axes``, NaN where undefined) and the fit of each GLM."""

    factor_names: list[str]
    axes: np.ndarray
    kinds: list[str]
    fit_quality: dict[str, float] = field(default_factory=dict)
    direction_sign: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def index(self, names: Sequence[str]) -> list[int]:
        """Positions of factor ``names`` (``UserError`` naming an unknown one)."""
        from disentbench.errors import UserError

        out = []
        for name in names:
            if name not in self.factor_names:
                raise UserError(
                    f"--lock: unknown factor {name!r}; this data set's factors are "
                    f"{', '.join(self.factor_names)}"
                )
            out.append(self.factor_names.index(name))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "factor_names": self.factor_names,
            "kinds": self.kinds,
            "axes": {n: self.axes[k].tolist() for k, n in enumerate(self.factor_names)},
            "fit_quality": self.fit_quality,
            "fit_quality_measure": {
                n: _quality_name(kind) for n, kind in zip(self.factor_names, self.kinds, strict=True)
            },
            "direction_sign": self.direction_sign,
            "notes": self.notes,
        }


def _quality_name(kind: str) -> str:
    return "held-out accuracy" if kind == "categorical" else "held-out R²"


def _canonical_sign(vector: np.ndarray) -> np.ndarray:
    return vector if vector[np.argmax(np.abs(vector))] >= 0 else -vector


def fit_axes(
    codes: np.ndarray,
    labels: np.ndarray,
    factor_names: Sequence[str],
    factor_sizes: Sequence[int],
    seed: int = 0,
) -> FeatureAxes:
    """Fit one GLM per factor from ``codes`` ``(n, d)`` to value indices ``labels`` ``(n, K)``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, Ridge

    codes = np.asarray(codes, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    n, d = codes.shape
    order = np.random.RandomState(seed).permutation(n)
    n_test = max(1, round(HELD_OUT_FRACTION * n))
    test, train = order[:n_test], order[n_test:]
    kinds = [factor_kind(name) for name in factor_names]
    result = FeatureAxes(list(factor_names), np.full((len(factor_names), d), np.nan), kinds)
    for k, (name, size, kind) in enumerate(zip(factor_names, factor_sizes, kinds, strict=True)):
        y = labels[:, k]
        if np.unique(y[train]).size < 2:
            result.fit_quality[name] = float("nan")
            result.notes.append(f"{name}: its value never varies in the labelled codes; no axis")
            continue
        if kind == "ordinal":
            target = y / max(int(size) - 1, 1)
            model = Ridge(alpha=RIDGE_ALPHA).fit(codes[train], target[train])
            weights = model.coef_.reshape(-1)
            result.fit_quality[name] = float(model.score(codes[test], target[test]))
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = LogisticRegression(C=LOGISTIC_C, max_iter=1000).fit(codes[train], y[train])
            coef = np.atleast_2d(model.coef_)
            if coef.shape[0] == 1:
                weights = coef[0]
            else:
                weights = np.linalg.svd(coef - coef.mean(axis=0), full_matrices=False)[2][0]
            result.fit_quality[name] = float(model.score(codes[test], y[test]))
        norm = np.linalg.norm(weights)
        if not norm > MIN_NORM:
            result.notes.append(f"{name}: the fitted weights are zero; no axis")
            continue
        axis = _canonical_sign(weights / norm)
        result.axes[k] = axis
        result.direction_sign[name] = float(np.sign(weights @ axis)) if kind == "ordinal" else 1.0
    return result


def decorrelate(axes: np.ndarray, locked: Sequence[int]) -> np.ndarray:
    """Each axis k made orthogonal to the locked axes other than k, renormalised.

    ``axes`` ``(K, d)`` unit rows (NaN rows are undefined and ignored as locks). The locked axes
    span a subspace; its orthonormal basis comes from a QR decomposition (Gram–Schmidt), and the
    projection onto it is subtracted. An axis inside the locked span becomes NaN.
    """
    axes = np.asarray(axes, dtype=np.float64)
    out = np.full_like(axes, np.nan)
    for k in range(axes.shape[0]):
        if not np.all(np.isfinite(axes[k])):
            continue
        others = [axes[j] for j in locked if j != k and np.all(np.isfinite(axes[j]))]
        vector = axes[k].copy()
        if others:
            basis, r = np.linalg.qr(np.stack(others, axis=1))
            basis = basis[:, np.abs(np.diag(r)) > MIN_NORM]
            vector = vector - basis @ (basis.T @ vector)
        norm = np.linalg.norm(vector)
        if norm > MIN_NORM:
            out[k] = vector / norm
    return out


#: Where the labelled codes of the GLMs come from.
CODE_SOURCES = ("prior", "encoded")


def labelled_codes(
    model: Any,
    classifier: Any,
    data: Any,
    num_latents: int,
    *,
    source: str = "prior",
    num: int = 5000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, labels)`` to fit the axes on.

    ``prior``: z ~ N(0, I) drawn with ``RandomState(seed)``, decoded, labelled by the classifier
    (the TL-GAN recipe). ``encoded``: observations drawn from ``data`` with ``RandomState(seed)``,
    their mean codes μ(x), labelled with their ground-truth factors (no classifier needed).
    """
    from disentbench.errors import UserError
    from disentbench.inspection.visuals import decode_images

    if source == "prior":
        z = np.random.RandomState(seed).standard_normal((num, num_latents)).astype(np.float32)
        return z, classifier.predict(decode_images(model, z))
    if source == "encoded":
        factors, observations = data.sample(num, np.random.RandomState(seed))
        return model.encode(observations)[0], factors
    raise UserError(f"--codes: expected one of {', '.join(CODE_SOURCES)}, got {source!r}")
