"""Batches gathered from pixels resident on the device equal the host's batches bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from disentbench import datasets
from disentbench.datasets.pairs import draw_pair_batch, pair_stream_mode, value_seed
from disentbench.datasets.squares import SquaresData
from disentbench.models import TrainConfig, train_pack
from disentbench.models.data_stream import BatchStream
from disentbench.models.device_data import PackBatches, PairStreams, indexed, pixel_table


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
        x, labels = on_device.next()
        assert labels is None
        assert x.dtype == torch.float32 and x.shape == (2, 16, 1, 64, 64)
        data_states, value_states = on_device.states()
        assert value_states is None
        for k, stream in enumerate(host):
            assert torch.equal(x[k], torch.from_numpy(stream.next()))
            assert np.array_equal(data_states[k][1], stream.state()[1])
    # One table per data file and device per process.
    assert pixel_table(indexed(dsprites), torch.device("cpu")) is pixel_table(
        indexed(dsprites), torch.device("cpu")
    )


@pytest.mark.parametrize("mode", ["batched", "per_observation"])
def test_device_pair_batches_are_the_host_pair_batches(dsprites, mode):
    """Pairs gathered from resident pixels equal the rendered pairs, with the same labels and the
    same states of both streams afterwards (docs/reference/weak.md §1)."""
    seeds, ks = (4, 17), (1, -1)

    def streams() -> tuple[list[np.random.RandomState], PairStreams]:
        values = [np.random.RandomState(value_seed(s)) for s in seeds]
        return [np.random.RandomState(s) for s in seeds], PairStreams(ks, values)

    batches = {}
    for resident in (True, False):
        states, pairs = streams()
        batches[resident] = PackBatches(
            dsprites, 8, states, torch.device("cpu"), mode=mode, pairs=pairs, on_device=resident
        )
    assert batches[True].resident and not batches[False].resident
    states, pairs = streams()
    pair_mode = pair_stream_mode(mode)
    try:
        for _ in range(3):
            (x_dev, labels_dev), (x_host, labels_host) = batches[True].next(), batches[False].next()
            assert x_dev.shape == (2, 2, 8, 1, 64, 64) and x_dev.dtype == torch.float32
            assert torch.equal(x_dev, x_host) and torch.equal(labels_dev, labels_host)
            for k in range(2):
                x1, x2, labels = draw_pair_batch(
                    dsprites, 8, ks[k], states[k], pairs.value_states[k], pair_mode
                )
                assert torch.equal(x_dev[k, 0], torch.from_numpy(x1))
                assert torch.equal(x_dev[k, 1], torch.from_numpy(x2))
                assert labels_dev[k].tolist() == labels.tolist()
            for resident in (True, False):
                data_states, value_states = batches[resident].states()
                for k in range(2):
                    assert np.array_equal(data_states[k][1], states[k].get_state()[1])
                    assert np.array_equal(value_states[k][1], pairs.value_states[k].get_state()[1])
    finally:
        for b in batches.values():
            b.close()


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
