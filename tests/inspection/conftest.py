"""Fixtures of the inspection tests: one torch thread, the reduced dSprites and its exact classifier."""

from __future__ import annotations

import pytest
import torch

from disentbench import datasets


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def reduced_dsprites(dsprites_root):
    return datasets.get("dsprites_full", root=dsprites_root)


@pytest.fixture(scope="session")
def lookup_classifier(reduced_dsprites):
    from _generators import LookupClassifier

    return LookupClassifier(reduced_dsprites)
