"""Shared data fixtures (keep this file minimal: data only)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def dsprites_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root holding a *reduced* rendered dSprites, for tests that need real images.

    The reduced grid (``disentbench.datasets.render.dsprites.REDUCED_STEPS``) keeps all 3 shapes
    and 6 scales and every 4th orientation and position: factor sizes
    ``[shape 3, scale 6, orientation 10, posX 8, posY 8]`` = 11,520 images, each identical to the
    full set's image at the same factor values. Renders in well under a second.
    Use it as ``disentbench.datasets.get("dsprites_full", root=dsprites_root)`` (any dSprites
    variant works; ``scream_dsprites`` additionally needs ``scream/scream.jpg``).
    """
    from disentbench.datasets.render.dsprites import render_dsprites

    root = tmp_path_factory.mktemp("dsprites_data")
    render_dsprites(root, reduced=True, workers=1, progress=False)
    return root
