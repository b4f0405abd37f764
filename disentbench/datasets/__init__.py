"""Ground-truth data sets: one interface, one registry (docs/reference/data.md §4).

``get(name, root=None)`` returns a ready data set; ``names()`` lists the registry;
``prepare(name, root, render_if_missing=True)`` renders the offline stand-in when no file is
present. The registry below is the one list the CLI, the study validation and the docs read.

Observation layout (all data sets): ``sample_observations_from_factors(factors, rs)`` returns
float32 in [0, 1], **channels-first** ``(n, C, 64, 64)`` (C = 1 for ``dsprites_full`` and
``smallnorb``, 3 for the other dSprites variants, ``cars3d``, ``shapes3d`` and MPI3D); the
reference is channels-last ``(n, 64, 64, C)`` with the same values (SmallNORB: see its module
for the rare values just outside [0, 1]). Factors are int64 class indices
``(n, K)`` in the order of ``factor_names``. Random draws (factors, nuisance factors, variant
noise) follow the reference's order and shapes exactly; noise is drawn in the reference's
channels-last layout and then transposed, so a ``RandomState`` gives the reference's pixels.

Pixels stay uint8 (dSprites: bit-packed; SmallNORB: int16) in one memory-mapped cache file per
machine, shared by every process (``cache.py``); only the sampled batch is converted to float32.

Files (``paths.py``): under the data root (``root``, ``$DISENTBENCH_DATA`` or the user cache) or
``$DISENTANGLEMENT_LIB_DATA``: ``dsprites/dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``,
``scream/scream.jpg``, ``3dshapes/3dshapes.h5``, ``small_norb/smallnorb-*.mat`` (six files),
``cars/*.mat`` (183 files), ``mpi3d_{toy,realistic,real}/mpi3d_*.npz``. Get them with
``disentbench data download NAME`` (official) or, for dSprites and Shapes3D only,
``disentbench data render NAME`` (offline stand-in, recorded in ``provenance``).
``availability.py`` says whether a study may run on what is there (the stand-in policy).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
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
    "smallnorb": ("disentbench.datasets.smallnorb", "SmallNORB"),
    "cars3d": ("disentbench.datasets.cars3d", "Cars3D"),
    "shapes3d": ("disentbench.datasets.shapes3d", "Shapes3D"),
    # Not in the 2019 study; the data of the NeurIPS 2019 challenge (docs/reference/data.md §4.6).
    "mpi3d_toy": ("disentbench.datasets.mpi3d", "MPI3DToy"),
    "mpi3d_realistic": ("disentbench.datasets.mpi3d", "MPI3DRealistic"),
    "mpi3d_real": ("disentbench.datasets.mpi3d", "MPI3DReal"),
}


def names() -> list[str]:
    """Registered data-set names."""
    return list(REGISTRY)


def latent_factor_names(name: str) -> tuple[str, ...]:
    """The latent factors of data set ``name`` without loading its data (for validating a study)."""
    from disentbench.errors import UserError

    if name not in REGISTRY:
        raise UserError(f"unknown data set {name!r}; expected one of {', '.join(REGISTRY)}")
    return tuple(importlib.import_module(REGISTRY[name][0]).LATENT_FACTOR_NAMES)


def get(name: str, root: str | os.PathLike[str] | None = None, **kwargs: Any) -> GroundTruthData:
    """The data set ``name`` loaded from ``root`` (default: the data root, see ``paths``)."""
    from disentbench.errors import UserError

    if name not in REGISTRY:
        raise UserError(f"unknown data set {name!r}; expected one of {', '.join(REGISTRY)}")
    module_name, class_name = REGISTRY[name]
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(root=root, **kwargs)


def prepare(
    name: str,
    root: str | os.PathLike[str] | None = None,
    render_if_missing: bool = False,
    *,
    reduced: bool = False,
    workers: int | None = None,
) -> GroundTruthData:
    """Like :func:`get`, but renders the offline stand-in when no data file is present.

    The render is logged (and recorded in the data set's ``provenance``), so a run on rendered
    data is never mistaken for one on the official file. ``reduced`` renders the small grid
    (for smoke tests); it has no effect when a file is already present. Only dSprites and
    Shapes3D have a stand-in: ``scream_dsprites`` still needs the Scream image, and SmallNORB,
    Cars3D and MPI3D need their official files (``disentbench data download NAME``); for them a
    missing file raises ``DataFileError`` saying where to put it and how to download it.
    """
    from disentbench.datasets import paths
    from disentbench.errors import UserError

    if name not in REGISTRY:
        raise UserError(f"unknown data set {name!r}; expected one of {', '.join(REGISTRY)}")
    src = paths.source(name)
    if render_if_missing and src.renderable and paths.find(src.name, root) is None:
        from disentbench.datasets.cache import locked

        target = paths.default_path(src.name, root)
        # One render per machine even when several processes prepare variants of one file.
        with locked(target.parent / f".{target.name}.render.lock"):
            if paths.find(src.name, root) is None:
                _render_logged(src.name, target, root, reduced, workers)
    return get(name, root=root)


def _render_logged(
    source_name: str,
    target: Path,
    root: str | os.PathLike[str] | None,
    reduced: bool,
    workers: int | None,
) -> None:
    """Render the stand-in of ``source_name`` to ``target``, saying so in the log."""
    import logging

    from disentbench.datasets import paths

    logging.getLogger(__name__).warning(
        "no %s data file under %s; rendering the offline stand-in%s to %s (provenance will say 'rendered')",
        source_name,
        paths.data_root(root),
        " (reduced grid)" if reduced else "",
        target,
    )
    render_source(source_name, target, reduced=reduced, workers=workers)


def render_source(
    source_name: str,
    path: str | os.PathLike[str],
    *,
    reduced: bool = False,
    workers: int | None = None,
    progress: bool = True,
) -> Any:
    """Render the offline stand-in of ``dsprites`` or ``shapes3d`` to the file ``path``.

    (Not called ``render``: that name is the ``disentbench.datasets.render`` sub-package.)
    """
    from disentbench.errors import UserError

    if source_name == "dsprites":
        from disentbench.datasets.render.dsprites import render_dsprites

        return render_dsprites(path, reduced=reduced, workers=workers, progress=progress)
    if source_name == "shapes3d":
        from disentbench.datasets.render.shapes3d import render_shapes3d

        return render_shapes3d(path, reduced=reduced, workers=workers, progress=progress)
    raise UserError(f"no renderer for {source_name!r}; renderable: dsprites, shapes3d")


__all__ = [
    "REGISTRY",
    "GroundTruthData",
    "SplitDiscreteStateSpace",
    "factors_to_index",
    "get",
    "index_to_factors",
    "names",
    "prepare",
    "render_source",
]
