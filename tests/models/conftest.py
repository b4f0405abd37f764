"""Shared fixtures of the model tests: small procedural data, one thread, deterministic CUDA."""

from __future__ import annotations

import os

import pytest
import torch

from disentbench.datasets.squares import SquaresData


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def squares() -> SquaresData:
    return SquaresData(num_channels=1)


# cuBLAS reads this when it starts (before any test runs); deterministic mode requires it.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


@pytest.fixture
def deterministic():
    """Deterministic CUDA kernels for the duration of a test (a warning, not an error, for an
    operation that has none): cuDNN's default kernels add in varying order, and Adam turns the
    last-bit differences of near-zero gradients into step-sized ones within a few iterations."""
    previous = torch.are_deterministic_algorithms_enabled()
    previous_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous, warn_only=previous_warn_only)
