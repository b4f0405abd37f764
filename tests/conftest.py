"""Shared fixtures (keep this file minimal): a private home directory, and data.

Tests never write into the user's home directory: the session's ``HOME`` is a fresh temporary
folder, set before any test (or Ray, which writes its token to ``~/.ray/auth_token``) runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

#: The user's real home directory, before the session replaced it.
USER_HOME = os.path.expanduser("~")


def pytest_configure(config: pytest.Config) -> None:
    """Point ``HOME`` (and with it Ray's token file) at a temporary folder for the session."""
    home = tempfile.mkdtemp(prefix="disentbench-test-home-")
    config.stash[_HOME_KEY] = home
    os.environ["HOME"] = home
    os.environ.pop("RAY_AUTH_TOKEN_PATH", None)  # Ray's token file: HOME/.ray/auth_token
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def pytest_unconfigure(config: pytest.Config) -> None:
    home = config.stash.get(_HOME_KEY, None)
    if home:
        os.environ["HOME"] = USER_HOME
        shutil.rmtree(home, ignore_errors=True)


_HOME_KEY = pytest.StashKey[str]()


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
