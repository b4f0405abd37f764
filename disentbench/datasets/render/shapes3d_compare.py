"""Compare the Shapes3D stand-in with the 53 official GIF frames (tests/fixtures/README.md).

The GIF frames carry no labels. The GIF walks orientation (frames 0–14, cube), then shape
(15–17), scale (17–24, capsule) at orientation index 14, and then the three hues; the hue of each
surface is read from the frame itself (a floor, a wall and an object pixel, rounded to the nearest
tenth), which also copes with the GIF's out-of-order hue frames. For each frame this module
renders our image for those labels and reports the mean absolute difference (0–255 scale, 1-px
border excluded: the downsampled GIF frames have a blended border).

``python -m disentbench.datasets.render.shapes3d_compare FIXTURES.npz [--out docs/shapes3d_comparison.png]``
"""

from __future__ import annotations

import argparse
import colorsys
import sys
from pathlib import Path

import numpy as np

from disentbench.datasets.render.shapes3d import FULL_VALUES
from disentbench.datasets.render.shapes3d_scene import SceneParams, colourise, hsv_rgb, shading_maps
from disentbench.errors import DataFileError

#: Pixels (y, x) read for the hue of the floor, the wall and the object in the GIF frames.
_PROBES = ((60, 4), (22, 58), (44, 30))


def load_frames(path: str | Path) -> np.ndarray:
    """The official frames ``(53, 64, 64, 3)`` uint8 from ``shapes3d_gif_frames.npz``."""
    try:
        with np.load(path) as f:
            frames = f["frames"]
    except (OSError, KeyError, ValueError) as exc:
        raise DataFileError(f"{path}: expected an npz with an array 'frames' (n, 64, 64, 3): {exc}") from exc
    if frames.ndim != 4 or frames.shape[1:] != (64, 64, 3) or frames.dtype != np.uint8:
        raise DataFileError(
            f"{path}: 'frames' must be uint8 (n, 64, 64, 3), got {frames.dtype} {frames.shape}"
        )
    return frames


def _hue_index(img: np.ndarray, y: int, x: int) -> int:
    rgb = img[y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 3).mean(axis=0) / 255.0
    return round(colorsys.rgb_to_hsv(*rgb)[0] * 10) % 10


def gif_factor_indices(frames: np.ndarray) -> np.ndarray:
    """Best-guess factor indices ``(53, 6)`` (storage order) of the official GIF frames."""
    out = []
    for i, img in enumerate(frames):
        if i <= 14:
            scale, shape, orient = 0, 0, i
        elif i <= 16:
            scale, shape, orient = 0, i - 14, 14
        elif i <= 24:
            scale, shape, orient = i - 17, 3, 14
        else:
            scale, shape, orient = 7, 3, 14
        out.append([*(_hue_index(img, y, x) for y, x in _PROBES), scale, shape, orient])
    return np.asarray(out, dtype=np.int64)


def render_indices(indices: np.ndarray, params: SceneParams | None = None) -> np.ndarray:
    """Our images ``(n, 64, 64, 3)`` uint8 for full-grid factor indices ``(n, 6)``."""
    params = params or SceneParams()
    v = FULL_VALUES
    images = []
    for f, w, o, sc, sh, ori in np.asarray(indices):
        maps = shading_maps(v["scale"][sc], int(sh), v["orientation"][ori], params)
        rgb = hsv_rgb(np.array([v["floor_hue"][f], v["wall_hue"][w], v["object_hue"][o]]))[None]
        images.append(colourise(maps, rgb, np.asarray(params.sky_rgb))[0])
    return np.stack(images)


def frame_errors(ours: np.ndarray, official: np.ndarray) -> np.ndarray:
    """Mean absolute difference per frame (0–255), the 1-px border excluded."""
    diff = np.abs(ours.astype(np.float64) - official.astype(np.float64))
    return diff[:, 1:-1, 1:-1].mean(axis=(1, 2, 3))


def comparison_figure(official: np.ndarray, ours: np.ndarray, path: str | Path, *, per_row: int = 9) -> None:
    """A PNG grid: for each frame, the official frame above ours, ×3 nearest-neighbour."""
    from PIL import Image, ImageDraw

    n, zoom, gap = len(official), 3, 4
    cols = per_row
    rows = -(-n // cols)
    cell_w, cell_h = 64 * zoom + gap, 2 * 64 * zoom + gap + 14
    canvas = Image.new("RGB", (cols * cell_w + gap, rows * cell_h + gap + 18), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((gap, 3), "each cell: official GIF frame (top) / disentbench stand-in (bottom)", fill="black")
    for i in range(n):
        x0 = gap + (i % cols) * cell_w
        y0 = 18 + gap + (i // cols) * cell_h
        for k, img in enumerate((official[i], ours[i])):
            tile = Image.fromarray(img).resize((64 * zoom, 64 * zoom), Image.NEAREST)
            canvas.paste(tile, (x0, y0 + k * 64 * zoom))
        draw.text((x0, y0 + 2 * 64 * zoom), f"frame {i}", fill="black")
    canvas.save(path)


def main(argv: list[str] | None = None) -> int:
    """Render the GIF's factor walk, print per-frame errors, optionally write the figure."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fixtures", help="shapes3d_gif_frames.npz")
    ap.add_argument("--out", help="write the comparison PNG here")
    args = ap.parse_args(argv)
    official = load_frames(args.fixtures)
    indices = gif_factor_indices(official)
    ours = render_indices(indices)
    errors = frame_errors(ours, official)
    print("frame  floor wall object scale shape orient  MAD")
    for i, (idx, e) in enumerate(zip(indices, errors, strict=True)):
        print(f"{i:5d}  " + " ".join(f"{int(v):5d}" for v in idx) + f"  {e:5.1f}")
    print(
        f"mean absolute difference over {len(errors)} frames: {errors.mean():.2f}"
        f" (median {np.median(errors):.2f})"
    )
    if args.out:
        comparison_figure(official, ours, args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
