"""Figure helpers shared by the analyses: the Agg backend, atomic PNG writes, heatmap grids."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: reports are written by scripts and on clusters

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from disentbench.io import atomic_path
from disentbench.reports.section import Section

#: Figure resolution: small files, still legible (the report embeds every PNG).
DPI = 72
matplotlib.rcParams["figure.dpi"] = DPI

#: Colours kept per PNG: figures are flat colours and anti-aliased text, so a palette image is
#: about a third of the size of matplotlib's RGBA PNG and looks the same.
PALETTE_COLOURS = 96


def save(fig: matplotlib.figure.Figure, path: Path) -> Path:
    """Render ``fig``, write it as a palette PNG to ``path`` atomically, and close it."""
    from PIL import Image

    fig.set_dpi(DPI)
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    image = Image.fromarray(np.ascontiguousarray(rgb)).quantize(
        colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    with atomic_path(path) as tmp:  # atomic_path gives the file the usual permissions
        image.save(tmp, format="PNG")
    plt.close(fig)
    return path


def finish(fig: matplotlib.figure.Figure, title: str) -> None:
    """Add the figure title and lay the panels out below it (``tight_layout`` ignores suptitles)."""
    fig.suptitle(title, fontsize=10)
    height = fig.get_size_inches()[1]
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / height))


def grid(n: int, ncols: int = 4, size: tuple[float, float] = (3.6, 3.2)):
    """A figure with ``n`` axes in rows of at most ``ncols``; unused axes are hidden."""
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def heatmap_grid(
    matrices: Sequence[tuple[str, pd.DataFrame]],
    title: str,
    path: Path,
    *,
    ncols: int = 4,
    annotate: bool = True,
    lower: bool = False,
) -> Path:
    """Draw one annotated correlation heatmap (ρ in [-1, 1]) per ``(panel title, matrix)``.

    ``lower`` shows only the lower triangle (with the diagonal), for symmetric matrices.
    """
    first = matrices[0][1]
    cell = 0.55
    size = (max(3.2, cell * first.shape[1] + 1.8), max(2.8, cell * first.shape[0] + 1.2))
    fig, axes = grid(len(matrices), ncols=ncols, size=size)
    for ax, (name, matrix) in zip(axes, matrices, strict=True):
        sns.heatmap(
            matrix.astype(float),
            ax=ax,
            vmin=-1,
            vmax=1,
            cmap="RdBu_r",
            annot=annotate,
            fmt=".2f",
            annot_kws={"size": 7},
            cbar=False,
            square=False,
            mask=_mask(matrix, lower),
        )
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    finish(fig, title)
    return save(fig, path)


def dataset_heatmaps(section: Section, title: str, path: Path, ncols: int = 4) -> list[Path]:
    """The ``section.data["matrices"]`` (data set → (ρ matrix, models)) as one heatmap grid at ``path``.

    Adds the figure to the section and returns it (nothing when the section has no matrices).
    """
    matrices = section.data.get("matrices")
    if not matrices:
        return []
    panels = [(f"{dataset} (n={n})", rho) for dataset, (rho, n) in matrices.items()]
    written = heatmap_grid(panels, title, path, ncols=ncols)
    section.figures.append(written)
    return [written]


def _mask(matrix: pd.DataFrame, lower: bool) -> np.ndarray:
    """Cells not to draw: missing values, and the upper triangle when ``lower``."""
    values = matrix.to_numpy(dtype=float)
    hide = ~np.isfinite(values)
    if lower and values.shape[0] == values.shape[1]:
        hide |= np.triu(np.ones_like(values, dtype=bool), k=1)
    return hide


def violins(
    ax, groups: Sequence[tuple[str, np.ndarray]], color: str | Sequence[str] = "#9ecae1", points: int = 64
) -> None:
    """Violins of several groups of values, one per ``(tick label, values)``, drawn on ``ax``.

    ``color`` is one colour for all violins or one per group.

    The density is a Gaussian kernel estimate (Scott's bandwidth, cut at the data range, each
    violin scaled to the same width) evaluated on a binned copy of the data, which is what keeps
    a 12,600-model report fast; quartiles are drawn as lines, the median thicker.
    """
    colours = [color] * len(groups) if isinstance(color, str) else list(color)
    stats, positions, names, fills = [], [], [], []
    for pos, (name, values) in enumerate(groups):
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        names.append(name)
        if v.size == 0:
            continue
        lo, hi = float(v.min()), float(v.max())
        coords = np.linspace(lo, hi, points) if hi > lo else np.array([lo - 1e-9, lo + 1e-9])
        density = _binned_kde(v, coords)
        q1, med, q3 = np.percentile(v, [25, 50, 75])
        stats.append(
            {"coords": coords, "vals": density, "mean": float(v.mean()), "median": float(med),
             "min": lo, "max": hi, "quantiles": [float(q1), float(q3)]}
        )  # fmt: skip
        positions.append(pos)
        fills.append(colours[pos])
    if stats:
        parts = ax.violin(stats, positions=positions, widths=0.8, showextrema=False, showmedians=True)
        for body, fill in zip(parts["bodies"], fills, strict=True):
            body.set_facecolor(fill)
            body.set_edgecolor("#404040")
            body.set_linewidth(0.5)
            body.set_alpha(0.9)
        for key in ("cmedians", "cquantiles"):
            if key in parts:
                parts[key].set_color("#202020")
                parts[key].set_linewidth(1.2 if key == "cmedians" else 0.6)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names)
    ax.set_xlim(-0.6, len(names) - 0.4)


def _binned_kde(values: np.ndarray, coords: np.ndarray, bins: int = 256) -> np.ndarray:
    """Gaussian KDE of ``values`` at ``coords`` from a ``bins``-bin histogram (Scott's rule)."""
    n = values.size
    sd = values.std(ddof=1) if n > 1 else 0.0
    bw = sd * n ** (-1.0 / 5.0) if sd > 0 else 1.0
    counts, edges = np.histogram(values, bins=min(bins, max(n, 1)))
    centres = 0.5 * (edges[:-1] + edges[1:])
    z = (coords[:, None] - centres[None, :]) / bw
    return (np.exp(-0.5 * z * z) * counts[None, :]).sum(axis=1) / (n * bw * np.sqrt(2 * np.pi))
