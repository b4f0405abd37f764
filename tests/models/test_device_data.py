"""Batches gathered from pixels resident on the device equal the host's batches bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from disentbench import datasets
from disentbench.datasets.squares import SquaresData
from disentbench.models import TrainConfig, train_pack
from disentbench.models.data_stream import BatchStream
from disentbench.models.device_data import PackBatches, indexed, pixel_table


@pytest.fixture(scope="module")
def dsprites(dsprites_root):
    return datasets.get("dsprites_full", root=dsprites_root)


@pytest.mark.parametrize("mode", ["batched", "per_observation"])
def test_device_batches_are_the_host_batches(dsprites, mode):
    seeds = (4, 17)
    on_device = PackBatches(
        dsprites, 16, [np.random.RandomState(s) for s in seeds], torch.device("cpu"), mode=mode
    )
    assert on_device.resident
    host = [BatchStream.of(dsprites, 16, np.random.RandomState(s), mode=mode) for s in seeds]
    for _ in range(3):
        x = on_device.next()
        assert x.dtype == torch.float32 and x.shape == (2, 16, 1, 64, 64)
        for k, stream in enumerate(host):
            assert torch.equal(x[k], torch.from_numpy(stream.next()))
            assert np.array_equal(on_device.states()[k][1], stream.state()[1])
    # One table per data file and device per process.
    assert pixel_table(indexed(dsprites), torch.device("cpu")) is pixel_table(
        indexed(dsprites), torch.device("cpu")
    )


def test_variants_and_procedural_data_use_the_host_path(dsprites_root):
    assert indexed(datasets.get("color_dsprites", root=dsprites_root)) is None
    assert indexed(SquaresData()) is None


def test_training_on_device_data_equals_training_on_host_batches(dsprites):
    config = TrainConfig(
        dataset="dsprites_full",
        method="beta_vae",
        params={"beta": 4},
        seed=2,
        steps=4,
        batch_size=8,
        log_every=1,
        eval_batches=1,
        device="cpu",
    )
    runs = {}
    for resident in (True, False):
        seen: list[dict[str, float]] = []
        train_pack(
            [config], dsprites, data_on_device=resident, log_fn=lambda _s, _k, v, seen=seen: seen.append(v)
        )
        runs[resident] = seen
    assert runs[True] == runs[False]
