"""Grids keep the pixels at native size; grey tiles give a grey picture, colour tiles a colour one."""

from __future__ import annotations

import numpy as np
from PIL import Image

from disentbench.inspection import pictures


def test_grid_places_tiles_at_native_size():
    tiles = np.zeros((2, 3, 1, 64, 64), np.float32)
    tiles[1, 2] = 1.0
    image = pictures.grid(tiles)
    assert image.mode == "L" and image.size == (3 * 66 + 2, 2 * 66 + 2)
    pixels = np.asarray(image)
    x, y = pictures.GAP + 2 * 66, pictures.GAP + 66
    assert (pixels[y : y + 64, x : x + 64] == 255).all() and (pixels[2:66, 2:66] == 0).all()
    colour = pictures.grid(np.ones((1, 2, 3, 64, 64), np.float32) * np.array([1.0, 0.0, 0.0])[:, None, None])
    assert colour.mode == "RGB" and np.asarray(colour)[10, 10].tolist() == [255, 0, 0]
    labelled = pictures.grid(tiles, ["a", "b"], ["1", "2", "3"], title="t")
    assert labelled.width > image.width and labelled.height > image.height


def test_gif_loops_over_every_frame(tmp_path):
    frames = [pictures.grid(np.full((1, 1, 1, 64, 64), v, np.float32)) for v in (0.0, 0.5, 1.0)]
    path = pictures.save_gif(frames, tmp_path / "a.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.info["loop"] == 0
