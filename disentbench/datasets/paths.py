"""Where data files live: the data root and the file layout of each source file.

The data root is, in order: the ``root`` argument, ``$DISENTBENCH_DATA``, or the user cache
directory (``platformdirs.user_cache_dir("disentbench")``). Files are also found in the layout
``disentanglement_lib`` expects under ``$DISENTANGLEMENT_LIB_DATA`` (data.md §4.2, §4.5), so an
existing reference installation is reused without copying.

A missing file raises ``DataFileError`` naming the expected path and the two ways to get it
(``disentbench data download NAME`` / ``disentbench data render NAME``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from disentbench.errors import DataFileError

ENV_ROOT = "DISENTBENCH_DATA"
ENV_DLIB = "DISENTANGLEMENT_LIB_DATA"


@dataclass(frozen=True)
class SourceFile:
    """One downloadable/renderable source file: its canonical place and accepted alternatives."""

    name: str
    #: Path relative to a data root where downloads and renders are written.
    relpath: str
    #: Other relative paths accepted when looking the file up (the reference's layouts).
    alternatives: tuple[str, ...] = ()
    #: Whether ``disentbench data render NAME`` can produce an offline stand-in.
    renderable: bool = True


SOURCES: dict[str, SourceFile] = {
    "dsprites": SourceFile("dsprites", "dsprites/dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"),
    "shapes3d": SourceFile(
        "shapes3d", "3dshapes/3dshapes.h5", alternatives=("3dshapes.h5", "shapes3d/3dshapes.h5")
    ),
    "scream": SourceFile("scream", "scream/scream.jpg", renderable=False),
}

#: Data-set registry name -> the source file it reads.
DATASET_SOURCES: dict[str, str] = {
    "dsprites_full": "dsprites",
    "color_dsprites": "dsprites",
    "noisy_dsprites": "dsprites",
    "scream_dsprites": "dsprites",
    "shapes3d": "shapes3d",
}


def source(name: str) -> SourceFile:
    """The source file ``name`` (``dsprites``, ``shapes3d``, ``scream``) or of a data-set name."""
    key = DATASET_SOURCES.get(name, name)
    if key not in SOURCES:
        from disentbench.errors import UserError

        raise UserError(f"unknown data file {name!r}; expected one of {', '.join(SOURCES)}")
    return SOURCES[key]


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The data root: ``root``, else ``$DISENTBENCH_DATA``, else the user cache directory."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(ENV_ROOT)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("disentbench"))


def default_path(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    """Where ``download``/``render`` write the file ``name`` under the data root."""
    return data_root(root) / source(name).relpath


def candidates(name: str, root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Every path the file ``name`` is looked for at, in order of preference.

    An explicit ``root`` is searched alone, so a test or a study that names its root never picks
    up a file from the environment by accident.
    """
    src = source(name)
    rels = (src.relpath, *src.alternatives)
    roots = [data_root(root)]
    dlib = os.environ.get(ENV_DLIB)
    if root is None and dlib:
        roots.append(Path(dlib).expanduser())
    return [r / rel for r in roots for rel in rels]


def find(name: str, root: str | os.PathLike[str] | None = None) -> Path | None:
    """The first existing candidate path of ``name``, or ``None``."""
    for path in candidates(name, root):
        if path.is_file():
            return path
    return None


def require(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    """The path of ``name``; ``DataFileError`` with the ways to get it when it is missing."""
    found = find(name, root)
    if found is not None:
        return found
    src = source(name)
    looked = ", ".join(str(p) for p in candidates(name, root))
    ways = f"`disentbench data download {src.name}`"
    if src.renderable:
        ways += f" (official file) or `disentbench data render {src.name}` (offline stand-in)"
    raise DataFileError(
        f"{src.name} data file not found; expected {default_path(name, root)} "
        f"(looked at: {looked}). Get it with {ways}; set ${ENV_ROOT} or pass --root to use "
        f"another data root."
    )
