"""The test session never writes into the user's home directory (tests/conftest.py)."""

from __future__ import annotations

import os
import pwd
import tempfile
from pathlib import Path


def test_home_is_a_private_temporary_folder():
    home = Path(os.environ["HOME"])
    assert Path.home() == home
    assert home != Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert home.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
    assert home.name.startswith("disentbench-test-home-")
