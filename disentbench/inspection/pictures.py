"""Image grids, labelled rows and animated GIFs from float images (the pictures of ``inspect``).

Every picture of the inspection is a grid of 64×64 tiles: channels-first float images in [0, 1]
(``(rows, cols, C, 64, 64)``), tiled with a one-pixel separator, optionally with a text label left
of each row and a caption above. Images stay at native size (no rescaling), so a grid shown at
100 % in a browser shows the pixels the model produced.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from disentbench.io import atomic_path

#: Grey separator between tiles and around the grid.
SEPARATOR = 128
GAP = 2
LABEL_HEIGHT = 14


def _font(size: int = 12) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizing
        return ImageFont.load_default()


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] (any leading shape, channels-first ``(..., C, H, W)``) → uint8 HWC."""
    pixels = np.clip(np.asarray(images, dtype=np.float32), 0.0, 1.0)
    pixels = np.round(pixels * 255.0).astype(np.uint8)
    return np.moveaxis(pixels, -3, -1)


def grid(
    tiles: np.ndarray,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    title: str | None = None,
) -> Image.Image:
    """One image from ``tiles`` ``(rows, cols, C, H, W)`` in [0, 1], with optional labels.

    One-channel tiles give a greyscale picture, three-channel tiles an RGB one.
    """
    tiles = np.asarray(tiles)
    if tiles.ndim != 5:
        raise ValueError(f"tiles must have shape (rows, cols, C, H, W), got {tiles.shape}")
    rows, cols, channels, height, width = tiles.shape
    pixels = to_uint8(tiles)  # (rows, cols, H, W, C)
    font = _font()
    left = 0
    if row_labels:
        left = 6 + max(
            int(ImageDraw.Draw(Image.new("L", (1, 1))).textlength(s, font=font)) for s in row_labels
        )
    top = (LABEL_HEIGHT + 4 if title else 0) + (LABEL_HEIGHT if col_labels else 0)
    full_w = left + cols * (width + GAP) + GAP
    full_h = top + rows * (height + GAP) + GAP
    canvas = np.full((full_h, full_w, 3), 255, dtype=np.uint8)
    canvas[top:, left:] = SEPARATOR
    for r in range(rows):
        for c in range(cols):
            y = top + GAP + r * (height + GAP)
            x = left + GAP + c * (width + GAP)
            canvas[y : y + height, x : x + width] = pixels[r, c] if channels == 3 else pixels[r, c, :, :, :1]
    image = Image.fromarray(canvas, "RGB")
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((2, 2), title, fill=(0, 0, 0), font=font)
    if col_labels:
        y = top - LABEL_HEIGHT
        for c, text in enumerate(col_labels):
            x = left + GAP + c * (width + GAP) + 2
            draw.text((x, y), text, fill=(0, 0, 0), font=font)
    if row_labels:
        for r, text in enumerate(row_labels):
            y = top + GAP + r * (height + GAP) + height // 2 - 7
            draw.text((3, y), text, fill=(0, 0, 0), font=font)
    return image if channels == 3 else image.convert("L")


def side_by_side(images: Sequence[Image.Image], gap: int = 12) -> Image.Image:
    """Pictures placed left to right on white, top-aligned."""
    mode = "RGB" if any(im.mode == "RGB" for im in images) else "L"
    width = sum(im.width for im in images) + gap * (len(images) - 1)
    height = max(im.height for im in images)
    out = Image.new(mode, (width, height), "white")
    x = 0
    for im in images:
        out.paste(im.convert(mode), (x, 0))
        x += im.width + gap
    return out


def save_png(image: Image.Image, path: str | os.PathLike[str]) -> Path:
    """Write ``image`` as PNG atomically."""
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG", optimize=True)
    return Path(path)


def png_bytes(image: Image.Image) -> bytes:
    """``image`` encoded as PNG."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def save_gif(frames: Sequence[Image.Image], path: str | os.PathLike[str], fps: int = 8) -> Path:
    """Write an endlessly looping animated GIF atomically (frames of one size)."""
    if not frames:
        raise ValueError("an animation needs at least one frame")
    frames = [f.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE) for f in frames]
    with atomic_path(path) as tmp:
        frames[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=int(1000 / fps),
            loop=0,
            disposal=1,
        )
    return Path(path)
