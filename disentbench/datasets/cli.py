"""``disentbench data render|download|info`` (docs/architecture.md).

``render NAME`` writes the offline stand-in (dSprites, Shapes3D) in the official format;
``download NAME`` fetches the official file(s) (dSprites, Shapes3D, Scream, SmallNORB, Cars3D,
MPI3D); ``info NAME`` prints where the file is, its provenance, factor sizes and checksum status,
or, when it is missing, where to put it and how to download it (exit status 2). NAME is a file
name (``dsprites``, ``shapes3d``, ``scream``, ``smallnorb``, ``cars3d``, ``mpi3d_*``) or a
data-set name (``dsprites_full``, ...).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from disentbench.datasets import paths
from disentbench.errors import UserError

log = logging.getLogger(__name__)

_NAMES = ", ".join([*paths.SOURCES, *paths.DATASET_SOURCES])


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``data`` command and its sub-commands."""
    data = subparsers.add_parser("data", help="render, download and inspect data sets")
    sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    data.set_defaults(handler=lambda args: _usage(data))

    render = sub.add_parser("render", help="render the offline stand-in in the official file format")
    render.add_argument("name", help="dsprites or shapes3d")
    _root_arg(render)
    render.add_argument("--reduced", action="store_true", help="render a small sub-grid (smoke tests)")
    render.add_argument("--workers", type=int, default=None, help="processes (default: CPU count)")
    render.add_argument("--output", type=Path, default=None, help="file to write (default: under root)")
    render.add_argument("--force", action="store_true", help="overwrite an existing file")
    render.set_defaults(handler=_render)

    download = sub.add_parser("download", help="download the official file (verified, resumable)")
    download.add_argument("name", help=", ".join(paths.SOURCES))
    _root_arg(download)
    download.add_argument("--url", default=None, help="mirror URL (default: the official source)")
    download.add_argument("--force", action="store_true", help="download again even if present")
    download.set_defaults(handler=_download)

    info = sub.add_parser("info", help="path, provenance, factor sizes and checksum status")
    info.add_argument("name", help=_NAMES)
    _root_arg(info)
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(handler=_info)


def _root_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", type=Path, default=None, help=f"data root (default: ${paths.ENV_ROOT} or the user cache)"
    )


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _render(args: argparse.Namespace) -> int:
    from disentbench.datasets import render_source

    src = paths.source(args.name)
    if not src.renderable:
        raise UserError(f"{src.name} cannot be rendered; get it with `disentbench data download {src.name}`")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be at least 1, got {args.workers}")
    target = args.output or paths.default_path(src.name, args.root)
    if target.exists() and not args.force:
        raise UserError(f"{target} already exists; pass --force to overwrite it")
    written = render_source(src.name, target, reduced=args.reduced, workers=args.workers, progress=True)
    print(written)
    return 0


def _download(args: argparse.Namespace) -> int:
    from disentbench.datasets.download import download

    print(download(args.name, args.root, url=args.url, force=args.force))
    return 0


def _info(args: argparse.Namespace) -> int:
    report = info(args.name, args.root)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True, default=str))
    else:
        for key, value in report.items():
            text = json.dumps(value, default=str) if isinstance(value, dict | list) else value
            print(f"{key}: {text}")
    return 0


def info(name: str, root: Path | None = None) -> dict[str, Any]:
    """What ``data info`` prints: path, provenance, factor sizes, checksum status."""
    src = paths.source(name)
    path = paths.require(src.name, root)
    report: dict[str, Any] = {"name": src.name, "path": str(path), "bytes": path.stat().st_size}
    if src.name == "dsprites":
        from disentbench.datasets import dsprites

        layout = dsprites.read_layout(path)
        meta = layout["metadata"]
        report["factors"] = dict(zip(dsprites.LATENT_NAMES, layout["sizes"][1:], strict=True))
        report.update(_provenance(meta, path, dsprites.checksums, "git blob id"))
    elif src.name == "shapes3d":
        from disentbench.datasets import shapes3d

        layout = shapes3d.read_layout(path)
        attrs = layout["attrs"]
        report["factors"] = dict(zip(shapes3d.FACTOR_NAMES, layout["sizes"], strict=True))
        report.update(_provenance(attrs if "renderer" in attrs else None, path, shapes3d.checksums, "sha256"))
    elif src.name == "scream":
        from disentbench.datasets.dsprites import load_scream

        pixels = load_scream(path)
        report["thumbnail_size"] = [int(pixels.shape[1]), int(pixels.shape[0])]
        report["source"] = "official"
        report["checksum"] = "no official checksum is published (docs/reference/data.md §4.7)"
    else:
        report.update(_official_only_info(src.name, path))
    return report


def _official_only_info(name: str, path: Path) -> dict[str, Any]:
    """``info`` of the sources without a stand-in (SmallNORB, Cars3D, MPI3D; docs/reference/data.md §4.6)."""
    from disentbench.datasets import cache
    from disentbench.datasets.download import pinned_sha256

    report: dict[str, Any] = {"source": "official"}
    if name == "smallnorb":
        from disentbench.datasets import smallnorb

        files = paths.part_paths(name, path)
        report["path"] = str(path.parent)
        report["files"] = {p.name: list(smallnorb.read_header(p)[1]) for p in files}
        report["factors"] = {
            smallnorb.FEATURE_NAMES[i]: smallnorb.OFFICIAL_SIZES[i] for i in smallnorb.LATENT_INDICES
        }
        report["nuisance_factors"] = {"instance": smallnorb.OFFICIAL_SIZES[1]}
        digest, what = cache.manifest_sha256(files), "content sha256 of the six .mat files"
    elif name == "cars3d":
        from disentbench.datasets import cars3d

        files = cars3d.mat_files(path)
        report["files"] = len(files)
        report["factors"] = dict(zip(cars3d.FACTOR_NAMES, cars3d.OFFICIAL_SIZES, strict=True))
        report["object_order"] = "sorted file names (the reference: unsorted directory listing)"
        digest, what = cache.manifest_sha256(files), f"content sha256 of the {len(files)} .mat files"
    else:
        from disentbench.datasets import mpi3d

        layout = mpi3d.read_layout(path)
        report["factors"] = dict(zip(mpi3d.FACTOR_NAMES, layout["grid"], strict=True))
        report["memory_mapped_in_place"] = layout["offset"] is not None
        digest, what = (
            cache.cached_json(path, "checksums", lambda: {"sha256": cache.sha256_of(path)})["sha256"],
            "sha256",
        )
    pinned = pinned_sha256(name)
    report["sha256"] = digest
    if pinned is None:
        report["checksum"] = (
            f"not pinned: no official checksum is recorded for {name} (docs/reference/data.md §4.7), "
            f"so the file cannot be verified; its {what} is shown above"
        )
    else:
        report["checksum"] = (
            "verified" if digest == pinned else "MISMATCH: sha256 differs from the pinned one"
        )
    return report


def _provenance(meta: dict[str, Any] | None, path: Path, checksums: Any, kind: str) -> dict[str, Any]:
    if meta is not None:
        return {
            "source": "rendered",
            "renderer": meta.get("renderer"),
            "renderer_version": meta.get("renderer_version"),
            "reduced": bool(meta.get("reduced", False)),
            "render_params": meta.get("render_params", {}),
            "checksum": "rendered stand-in: no official checksum applies",
        }
    sums = checksums(path)
    status = (
        f"verified: {kind} matches the official file"
        if sums["verified"]
        else f"MISMATCH: {kind} differs from the official file's"
    )
    return {"source": "official", "sha256": sums["sha256"], "checksum": status}
