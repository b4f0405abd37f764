"""One embedded Ray for the benchmark tests that run studies in-process (Ray start-up is slow)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def ray_session():
    """``ray.init(address="local")``, shared by the folder's tests: started by the first that asks,
    shut down after the folder's last test (:func:`pytest_runtest_teardown`)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    from disentbench.benchmark.ray_session import start_embedded

    if not ray.is_initialized():
        start_embedded(num_cpus=2, log_to_driver=False)  # loopback only, as `disentbench run`
    yield ray


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After a test's own teardown: shut the shared Ray down when the next test is outside this
    folder (or there is none); an idle Ray's processes would cost the rest of the suite CPU."""
    yield
    ray = sys.modules.get("ray")  # not imported: nothing started
    leaving = nextitem is None or HERE not in Path(nextitem.path).resolve().parents
    if leaving and ray is not None and ray.is_initialized():
        ray.shutdown()
