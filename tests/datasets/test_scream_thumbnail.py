"""The Scream image is shrunk as the reference's ``thumbnail`` did: decoder draft mode, then one
bicubic resize, Pillow 6's size arithmetic (docs/reference/data.md §4.3). Synthetic JPEGs only."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from disentbench.datasets.dsprites import load_scream, paper_era_thumbnail


def _portrait_jpeg(path: Path, width: int, height: int) -> Path:
    """A textured portrait JPEG (fine detail, so decoding at a reduced size changes pixels)."""
    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.stack([xx / 37.0 + yy / 53.0, yy / 29.0, (xx + yy) / 17.0], axis=-1)
    noise = np.random.RandomState(0).normal(0, 25, rgb.shape)
    pixels = np.clip(128 + 100 * np.sin(rgb) + noise, 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=90)
    return path


def test_scream_is_decoded_in_draft_mode_then_resized_once(tmp_path):
    path = _portrait_jpeg(tmp_path / "scream.jpg", 1214, 1500)
    pixels = load_scream(path)
    # Pillow 6 truncates: 1500·350/1214 -> 432, then 350·274/432 -> 221 (Pillow >= 7 rounds to 222).
    assert pixels.shape == (274, 221, 3)
    with Image.open(path) as img:
        img.draft(None, (221, 274))
        assert img.size == (304, 375)  # the decoder's 1/4 scale: the smallest at least the target
        expected = np.asarray(img.resize((221, 274), Image.Resampling.BICUBIC), np.float64) / 255.0
    np.testing.assert_array_equal(pixels, expected)
    with Image.open(path) as img:
        full = img.convert("RGB").resize((221, 274), Image.Resampling.BICUBIC)
    full_resolution = np.asarray(full, np.float64) / 255.0
    assert np.abs(pixels - full_resolution).mean() > 1 / 255  # draft mode is not a no-op here


def test_small_or_already_fitting_images_are_kept(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(np.full((200, 100, 3), 90, np.uint8)).save(buffer, "JPEG")
    with Image.open(io.BytesIO(buffer.getvalue())) as img:
        assert paper_era_thumbnail(img, (350, 274)).size == (100, 200)
