"""Fixtures of the inspection tests: one torch thread, the reduced dSprites, its exact classifier
and its trained factor classifier."""

from __future__ import annotations

import pytest
import torch
from _budget import CLASSIFIER_STEPS

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


@pytest.fixture(scope="session")
def factor_classifier(reduced_dsprites, dsprites_root):
    """The reduced dSprites' factor classifier at ``CLASSIFIER_STEPS``, cached under ``dsprites_root``.

    Trained once per session (``inspect`` on the same data root and steps loads it from the cache;
    ``test_inspect_cli`` trains it first when the whole folder runs).
    """
    from disentbench.inspection.classifier import get_classifier

    return get_classifier(reduced_dsprites, data_root=dsprites_root, steps=CLASSIFIER_STEPS, progress=False)
