"""Shared fixtures of the model tests: small procedural data, one thread."""

from __future__ import annotations

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
