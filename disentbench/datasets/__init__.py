"""Ground-truth data sets: one interface, one registry (data.md §4).

``get(name, root=None)`` returns a ready data set; ``names()`` lists the registry. The registry
below is the one list the CLI, the study validation and the docs read.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from disentbench.datasets.base import (
    GroundTruthData,
    SplitDiscreteStateSpace,
    factors_to_index,
    index_to_factors,
)

#: name -> (module, class). Order = the reference study's data-set order (model numbering).
REGISTRY: dict[str, tuple[str, str]] = {
    "dsprites_full": ("disentbench.datasets.dsprites", "DSpritesFull"),
    "color_dsprites": ("disentbench.datasets.dsprites", "ColorDSprites"),
    "noisy_dsprites": ("disentbench.datasets.dsprites", "NoisyDSprites"),
    "scream_dsprites": ("disentbench.datasets.dsprites", "ScreamDSprites"),
    "shapes3d": ("disentbench.datasets.shapes3d", "Shapes3D"),
}


def names() -> list[str]:
    """Registered data-set names."""
    return list(REGISTRY)


def get(name: str, root: str | os.PathLike[str] | None = None, **kwargs: Any) -> GroundTruthData:
    """The data set ``name`` loaded from ``root`` (default: the data root, see ``paths``)."""
    from disentbench.errors import UserError

    if name not in REGISTRY:
        raise UserError(f"unknown data set {name!r}; expected one of {', '.join(REGISTRY)}")
    module_name, class_name = REGISTRY[name]
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(root=root, **kwargs)


__all__ = [
    "REGISTRY",
    "GroundTruthData",
    "SplitDiscreteStateSpace",
    "factors_to_index",
    "get",
    "index_to_factors",
    "names",
]
