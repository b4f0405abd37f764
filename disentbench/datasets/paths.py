"""Where data files live: the data root and the file layout of each source file.

The data root is, in order: the ``root`` argument, ``$DISENTBENCH_DATA``, or the user cache
directory (``platformdirs.user_cache_dir("disentbench")``). Files are also found in the layout
``disentanglement_lib`` expects under ``$DISENTANGLEMENT_LIB_DATA`` (docs/reference/data.md §4.2, §4.5), so an
existing reference installation is reused without copying.

A missing file raises ``DataFileError`` naming the expected path and the ways to get it
(``disentbench data download NAME``, and ``disentbench data render NAME`` where an offline
stand-in exists).

Sources of several files: SmallNORB is six binary-matrix files in ``small_norb/`` (``parts``),
Cars3D is a directory ``cars/`` of ``.mat`` files (``kind="dir"``); docs/reference/data.md §4.6 gives both
layouts (the reference's, so an existing ``$DISENTANGLEMENT_LIB_DATA`` is reused).
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
    #: Further files, relative to the data root, that must sit beside ``relpath`` (same root).
    parts: tuple[str, ...] = ()
    #: ``"file"``, or ``"dir"``: ``relpath`` is a directory of ``*.mat`` files (Cars3D).
    kind: str = "file"

    @property
    def files(self) -> tuple[str, ...]:
        """Every relative path of the source (``relpath`` first)."""
        return (self.relpath, *self.parts)


_NORB = "small_norb/smallnorb-{}-{}.mat"
_NORB_CHUNKS = ("5x46789x9x18x6x2x96x96-training", "5x01235x9x18x6x2x96x96-testing")
#: SmallNORB's six files (docs/reference/data.md §4.6): dat/cat/info of the training chunk, then
#: of the testing chunk.
SMALLNORB_FILES: tuple[str, ...] = tuple(
    _NORB.format(chunk, part) for chunk in _NORB_CHUNKS for part in ("dat", "cat", "info")
)


SOURCES: dict[str, SourceFile] = {
    "dsprites": SourceFile("dsprites", "dsprites/dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"),
    "shapes3d": SourceFile(
        "shapes3d", "3dshapes/3dshapes.h5", alternatives=("3dshapes.h5", "shapes3d/3dshapes.h5")
    ),
    "scream": SourceFile("scream", "scream/scream.jpg", renderable=False),
    "smallnorb": SourceFile("smallnorb", SMALLNORB_FILES[0], renderable=False, parts=SMALLNORB_FILES[1:]),
    "cars3d": SourceFile("cars3d", "cars", renderable=False, kind="dir"),
    "mpi3d_toy": SourceFile("mpi3d_toy", "mpi3d_toy/mpi3d_toy.npz", renderable=False),
    "mpi3d_realistic": SourceFile("mpi3d_realistic", "mpi3d_realistic/mpi3d_realistic.npz", renderable=False),
    "mpi3d_real": SourceFile("mpi3d_real", "mpi3d_real/mpi3d_real.npz", renderable=False),
}

#: Data-set registry name -> the source file it reads.
DATASET_SOURCES: dict[str, str] = {
    "dsprites_full": "dsprites",
    "color_dsprites": "dsprites",
    "noisy_dsprites": "dsprites",
    "scream_dsprites": "dsprites",
    "smallnorb": "smallnorb",
    "cars3d": "cars3d",
    "shapes3d": "shapes3d",
    "mpi3d_toy": "mpi3d_toy",
    "mpi3d_realistic": "mpi3d_realistic",
    "mpi3d_real": "mpi3d_real",
}


def required_sources(dataset: str) -> tuple[str, ...]:
    """Every source file a data set reads (``scream_dsprites`` needs dSprites and the Scream)."""
    if dataset == "scream_dsprites":
        return ("dsprites", "scream")
    return (source(dataset).name,)


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


def _present(src: SourceFile, path: Path) -> bool:
    """Whether the source is complete at ``path`` (its parts beside it, a directory non-empty)."""
    if src.kind == "dir":
        return path.is_dir() and any(path.glob("*.mat"))
    if not path.is_file():
        return False
    base = _root_of(src, path)
    return all((base / rel).is_file() for rel in src.parts)


def _root_of(src: SourceFile, path: Path) -> Path:
    """The data root a candidate path of ``src`` was built from."""
    return path.parents[len(Path(src.relpath).parts) - 1]


def find(name: str, root: str | os.PathLike[str] | None = None) -> Path | None:
    """The first candidate path of ``name`` where the source is complete, or ``None``."""
    src = source(name)
    for path in candidates(name, root):
        if _present(src, path):
            return path
    return None


def part_paths(name: str, path: Path) -> list[Path]:
    """Every file of a multi-file source found at ``path`` (``path`` itself first)."""
    src = source(name)
    base = _root_of(src, path)
    return [base / rel for rel in src.files]


def require(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    """The path of ``name``; ``DataFileError`` with the ways to get it when it is missing."""
    found = find(name, root)
    if found is not None:
        return found
    raise DataFileError(missing_message(name, root))


def missing_message(name: str, root: str | os.PathLike[str] | None = None) -> str:
    """What is missing, where it is expected and how to get it (one message per source)."""
    src = source(name)
    looked = ", ".join(str(p) for p in candidates(name, root))
    ways = f"`disentbench data download {src.name}`"
    if src.renderable:
        ways += f" (official file) or `disentbench data render {src.name}` (offline stand-in)"
    expected = default_path(name, root)
    if src.kind == "dir":
        what = f"{src.name} data files not found; expected the .mat files in the directory {expected}"
    elif src.parts:
        base = data_root(root)
        missing = [rel for rel in src.files if not (base / rel).is_file()]
        what = (
            f"{src.name} data files not found; expected {len(src.files)} files in {expected.parent} "
            f"(missing: {', '.join(Path(rel).name for rel in missing)})"
        )
    else:
        what = f"{src.name} data file not found; expected {expected}"
    pronoun = "them" if src.kind == "dir" or src.parts else "it"
    return (
        f"{what} (looked at: {looked}). Get {pronoun} with {ways}; set ${ENV_ROOT} (or pass --root to "
        "`data` commands, --data-root to `run`) to use another data root."
    )
