"""Fixtures of the external-model and plugin tests: a plugin package written to ``tmp_path``,
importable (``sys.path``) and installed (a ``.dist-info`` with an entry point), and a tiny metric
preset so that scoring takes seconds."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from types import MappingProxyType

import pytest

from disentbench.metrics import presets
from disentbench.models import plugins

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: Small sample sizes: scores in seconds, still the study's code paths.
TINY = presets.Preset(
    name="tiny",
    notes="test sizes",
    params={"mig": {"num_train": 300}, "sap": {"num_train": 300, "num_test": 150}},
)

#: Plugins that break the contract, one per failure mode.
BROKEN = '''
import torch
from disentbench.models.methods import MethodSpec

def per_example(out, *, beta: float = 1.0):
    """Returns one value per example: not a scalar."""
    return beta * out.mean.square().sum(dim=1)

def no_keywords(out):
    return out.kl

def bad_fixed(out, *, beta: float, mode: str = "x"):
    return beta * out.kl

def _kl(out, *, beta: float):
    return beta * out.kl

wrong_signature = MethodSpec("w", "gamma", (1.0,), _kl, "its regulariser takes beta, not gamma")
not_a_method = 42
'''


def docs_example() -> str:
    """The first Python code block of docs/plugins.md (the documented example plugin)."""
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def write_plugin_package(root: Path) -> Path:
    """``extplug`` (the docs example + broken plugins), ``extplug_broken`` (fails to import) and an
    installed distribution ``extplug`` declaring ``capped_vae`` in group ``disentbench.methods``."""
    package = root / "extplug"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "objectives.py").write_text(docs_example())
    (package / "broken.py").write_text(textwrap.dedent(BROKEN))
    (root / "extplug_broken.py").write_text("raise ImportError('boom: a missing dependency')\n")
    dist = root / "extplug-0.1.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: extplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[disentbench.methods]\ncapped_vae = extplug.objectives:capped_vae\n"
        "broken_vae = extplug_broken:anything\n"
    )
    return root


def _forget_plugins() -> None:
    plugins._LOADED.clear()
    for name in [m for m in sys.modules if m.startswith("extplug")]:
        del sys.modules[name]


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plugin package's folder, on ``sys.path`` for this test only."""
    root = write_plugin_package(tmp_path / "plugins")
    _forget_plugins()
    monkeypatch.syspath_prepend(str(root))
    yield root
    _forget_plugins()


@pytest.fixture
def tiny_preset(monkeypatch: pytest.MonkeyPatch) -> str:
    """Register the ``tiny`` metric preset for this test; returns its name."""
    monkeypatch.setattr(presets, "PRESETS", MappingProxyType({**presets.PRESETS, "tiny": TINY}))
    return "tiny"
