"""One embedded Ray for the whole benchmark test session (Ray start-up is slow)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def ray_session():
    """``ray.init(address="local")`` once; tests that run studies in-process share it."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    from disentbench.benchmark.ray_session import start_embedded

    if not ray.is_initialized():
        start_embedded(num_cpus=2, log_to_driver=False)  # loopback only, as `disentbench run`
    yield ray
    ray.shutdown()
