"""Can a data set be used as a study asks? The stand-in policy, checked before anything trains.

A study says whether offline stand-ins are acceptable (``data: {stand_in: allow | refuse}``).
Under ``refuse`` only official files count: a missing file is an error (never rendered), and so
is a file that is itself a rendered stand-in (one left by an earlier smoke run). Under ``allow``
a missing dSprites or Shapes3D file may be rendered; files that have no stand-in (Scream,
SmallNORB, Cars3D, MPI3D) must be present either way.

``problems`` lists what stands in the way, one message per source file, each naming the file, the
expected path under the data root and the download command, so a caller can report everything
at once before training starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from disentbench.datasets import paths
from disentbench.errors import DataFileError


@dataclass(frozen=True)
class Problem:
    """Why a data set cannot be used: the message, and whether allowing stand-ins would help."""

    dataset: str
    source: str
    message: str
    stand_in_would_help: bool


def is_rendered(source: str, path: Path) -> bool:
    """Whether the file at ``path`` is one of our rendered stand-ins (not the official file)."""
    if source == "dsprites":
        from disentbench.datasets.dsprites import read_layout

        meta = read_layout(path, use_cache=True)["metadata"]
        return bool(meta and "renderer" in meta)
    if source == "shapes3d":
        from disentbench.datasets.shapes3d import read_layout as read_h5_layout

        return "renderer" in read_h5_layout(path)["attrs"]
    return False


def problems(dataset: str, root: str | os.PathLike[str] | None, *, allow_stand_in: bool) -> list[Problem]:
    """What prevents ``dataset`` from being used under the policy (empty: it can be used)."""
    found = []
    for source in paths.required_sources(dataset):
        src = paths.source(source)
        path = paths.find(source, root)
        if path is None:
            if allow_stand_in and src.renderable:
                continue  # the runner renders it, and the records say so
            found.append(Problem(dataset, source, paths.missing_message(source, root), src.renderable))
        elif not allow_stand_in and is_rendered(source, path):
            found.append(
                Problem(
                    dataset,
                    source,
                    f"{path} is a rendered offline stand-in, not the official {source} file; replace "
                    f"it with the official one: `disentbench data download {source} --force`",
                    True,
                )
            )
    return found


def require_official(dataset: str, root: str | os.PathLike[str] | None) -> None:
    """Raise ``DataFileError`` unless every file ``dataset`` reads is present and official."""
    found = problems(dataset, root, allow_stand_in=False)
    if found:
        raise DataFileError(
            f"data set {dataset} needs official data and stand-ins are refused: "
            + " | ".join(p.message for p in found)
        )
