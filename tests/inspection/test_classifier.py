"""The factor classifier's cache: one per data set and data source, trained once, loaded after."""

from __future__ import annotations

import numpy as np
import pytest

from disentbench.datasets.squares import SquaresData
from disentbench.errors import DataFileError
from disentbench.inspection import classifier as classifier_module
from disentbench.inspection.classifier import cache_key, get_classifier


class _Data(SquaresData):
    def __init__(self, provenance):
        super().__init__()
        self._provenance = provenance

    @property
    def provenance(self):
        return self._provenance


def test_cache_key_is_per_data_source_not_per_path():
    rendered = {"source": "rendered", "renderer": "r", "renderer_version": 1, "reduced": True, "path": "/a"}
    keys = {
        "rendered": cache_key(_Data(rendered), 10, 64, 0),
        "moved": cache_key(_Data({**rendered, "path": "/elsewhere"}), 10, 64, 0),
        "full": cache_key(_Data({**rendered, "reduced": False}), 10, 64, 0),
        "official": cache_key(_Data({"source": "official", "sha256": "ab", "reduced": False}), 10, 64, 0),
        "steps": cache_key(_Data(rendered), 11, 64, 0),
    }
    assert keys["rendered"] == keys["moved"]
    assert len({keys[k] for k in ("rendered", "full", "official", "steps")}) == 4


def test_trained_once_then_loaded(reduced_dsprites, tmp_path, monkeypatch):
    first = get_classifier(reduced_dsprites, data_root=tmp_path, steps=2, progress=False)
    files = sorted(p.name for p in (tmp_path / "classifiers").iterdir() if not p.name.startswith("."))
    assert [p.rsplit(".", 1)[1] for p in files] == ["json", "safetensors"]
    assert set(first.accuracy) == set(reduced_dsprites.factor_names)

    def no_training(*args, **kwargs):
        raise AssertionError("the cached classifier should have been loaded")

    monkeypatch.setattr(classifier_module, "train_classifier", no_training)
    again = get_classifier(reduced_dsprites, data_root=tmp_path, steps=2, progress=False)
    assert again.accuracy == first.accuracy
    images = reduced_dsprites.sample_observations(16, np.random.RandomState(0))
    np.testing.assert_array_equal(again.predict(images), first.predict(images))

    weights = next((tmp_path / "classifiers").glob("*.safetensors"))
    weights.write_bytes(b"not a safetensors file")
    with pytest.raises(DataFileError, match="delete it"):
        get_classifier(reduced_dsprites, data_root=tmp_path, steps=2, progress=False)
