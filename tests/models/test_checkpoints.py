"""Verified checkpoints: manifest last, damaged ones rejected, resume falls back (docs/reference/models.md
§2.11)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from disentbench.datasets.squares import SquaresData
from disentbench.models import (
    CheckpointCorrupt,
    TrainConfig,
    newest_good_checkpoint,
    train,
    train_pack,
    verify_checkpoint,
)
from disentbench.models.checkpoints import check_checkpoint, load_tensors


def _config(**overrides) -> TrainConfig:
    base = dict(
        dataset="synthetic_squares",
        method="beta_vae",
        params={"beta": 4},
        seed=5,
        steps=8,
        batch_size=8,
        eval_batches=1,
        device="cpu",
    )
    base.update(overrides)
    return TrainConfig(**base)  # type: ignore[arg-type]


def _pack(steps: int = 8) -> list[TrainConfig]:
    return [_config(steps=steps, params={"beta": b}, seed=s) for b, s in ((1, 1), (4, 2), (8, 1))]


def _weights(model) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.encoder.state_dict().items()}


@pytest.fixture
def checkpoint(tmp_path) -> Path:
    """A trainer's checkpoint folder after 4 iterations; returns the ``ckpt-`` directory."""
    train(_config(steps=4), SquaresData(), checkpoint_dir=tmp_path / "run", checkpoint_every=4)
    return tmp_path / "run" / "ckpt-000000004"


def test_a_complete_checkpoint_verifies(checkpoint):
    assert verify_checkpoint(checkpoint) and verify_checkpoint(checkpoint.parent)
    manifest = json.loads((checkpoint / "manifest.json").read_text())
    assert manifest["step"] == 4
    assert set(manifest["files"]) == {"config.json", "trainer_state.pt", "weights.safetensors"}


@pytest.mark.parametrize(
    ("damage", "file", "reason"),
    [
        (lambda d: (d / "manifest.json").unlink(), "manifest.json", "missing manifest"),
        (lambda d: (d / "manifest.json").write_text("{"), "manifest.json", "unreadable manifest"),
        (
            lambda d: os.truncate(d / "weights.safetensors", 100),
            "weights.safetensors",
            "bytes, the manifest says",
        ),
        (lambda d: (d / "trainer_state.pt").unlink(), "trainer_state.pt", "missing file"),
        (lambda d: (d / "notes.txt").write_text("x"), "notes.txt", "not listed"),
    ],
)
def test_a_damaged_checkpoint_does_not_verify(checkpoint, damage, file, reason):
    damage(checkpoint)
    assert not verify_checkpoint(checkpoint)
    with pytest.raises(CheckpointCorrupt, match=reason) as info:
        check_checkpoint(checkpoint)
    assert info.value.file == file and file in str(info.value)


def test_an_edited_file_of_the_same_size_does_not_verify(checkpoint):
    config = checkpoint / "config.json"
    text = config.read_text()
    config.write_text(text.replace('"seed": 5', '"seed": 6'))
    assert config.stat().st_size == len(text.encode())
    with pytest.raises(CheckpointCorrupt, match="checksum differs") as info:
        check_checkpoint(checkpoint)
    assert info.value.file == "config.json"


def test_newest_good_checkpoint_skips_bad_ones_and_says_why(tmp_path, caplog):
    dirs = []
    for steps in (2, 4, 6):
        folder = tmp_path / f"checkpoint_{steps:06d}"
        train(_config(steps=steps), SquaresData(), checkpoint_dir=folder)
        dirs.append(folder)
    assert newest_good_checkpoint(dirs) == dirs[2]
    os.truncate(dirs[2] / "ckpt-000000006" / "weights.safetensors", 10)
    with caplog.at_level(logging.WARNING):
        assert newest_good_checkpoint(dirs) == dirs[1]
    assert "checkpoint_000006" in caplog.text and "weights.safetensors" in caplog.text
    for folder in dirs[:2]:
        (folder / "latest.json").write_text("not json")
    assert newest_good_checkpoint(dirs) is None


def test_resume_falls_back_to_an_older_verified_checkpoint_or_to_the_start(tmp_path, caplog):
    config = _config()
    straight = train(config, SquaresData())
    folder, kept = tmp_path / "run", tmp_path / "kept"

    class Crash(Exception):
        pass

    def keep_then_crash(step, directory):
        if step == 4:
            shutil.copytree(directory / "ckpt-000000004", kept)
        if step == 6:
            raise Crash

    with pytest.raises(Crash):
        train(config, SquaresData(), checkpoint_dir=folder, checkpoint_every=2, on_checkpoint=keep_then_crash)
    # The newest checkpoint (6) is half-written; an intact older one (4) sits beside it.
    os.truncate(folder / "ckpt-000000006" / "weights.safetensors", 50)
    shutil.copytree(kept, folder / "ckpt-000000004")
    with caplog.at_level(logging.WARNING):
        resumed = train(config, SquaresData(), checkpoint_dir=folder, checkpoint_every=2)
    assert resumed.training_stats["resumed_from_step"] == 4
    assert "ckpt-000000006" in caplog.text
    for name, value in _weights(straight).items():
        assert torch.equal(resumed.encoder.state_dict()[name], value), name
    # Nothing verified at all: start again from iteration 0, with a warning, and no raw error.
    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    for ckpt in bad.glob("ckpt-*"):
        (ckpt / "manifest.json").unlink()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = train(config, SquaresData(), checkpoint_dir=bad)
    assert again.training_stats["resumed_from_step"] is None
    assert "no verified checkpoint" in caplog.text


class _NaNForMember(SquaresData):
    def __init__(self, call: int):
        super().__init__()
        self.target, self.calls = call, 0

    def sample_observations_from_factors(self, factors, random_state):
        images = super().sample_observations_from_factors(factors, random_state)
        if self.calls == self.target:
            images[:] = np.nan
        self.calls += 1
        return images


def test_a_pack_resumes_bit_identically_with_its_failed_member(tmp_path):
    """Crash after the checkpoint at iteration 4 (member 1 diverged at 2): the resumed pack ends
    exactly as the uninterrupted one, member 1 still failed at 2."""
    configs = _pack(steps=8)
    straight = train_pack(configs, _NaNForMember(call=2 * 3 + 1))

    class Crash(Exception):
        pass

    def crash(step, _directory):
        if step == 4:
            raise Crash

    with pytest.raises(Crash):
        train_pack(
            configs,
            _NaNForMember(call=2 * 3 + 1),
            checkpoint_dir=tmp_path,
            checkpoint_every=4,
            on_checkpoint=crash,
        )
    resumed = train_pack(configs, SquaresData(), checkpoint_dir=tmp_path, checkpoint_every=4)
    assert [r.resumed_from_step for r in resumed] == [4, 4, 4]
    assert resumed[1].model is None and resumed[1].failure.step == 2
    assert resumed[1].failure.last_finite == straight[1].failure.last_finite
    for k in (0, 2):
        assert resumed[k].model.training_stats["loss"] == straight[k].model.training_stats["loss"]
        for name, value in _weights(straight[k].model).items():
            assert torch.equal(resumed[k].model.encoder.state_dict()[name], value), (k, name)


_CHILD = """
import sys, time, torch
from disentbench.models import TrainConfig, train_pack
from disentbench.datasets.squares import SquaresData
torch.set_num_threads(1)
configs = [TrainConfig(dataset="synthetic_squares", method="beta_vae", params={"beta": b}, seed=s, steps=40,
                       batch_size=8, eval_batches=1, device="cpu") for b, s in ((1, 1), (4, 2))]
slow = lambda step, directory: time.sleep(0.3)
train_pack(configs, SquaresData(), checkpoint_dir=sys.argv[1], checkpoint_every=2, on_checkpoint=slow)
"""


@pytest.mark.slow
def test_a_killed_pack_resumes_as_if_uninterrupted(tmp_path):
    """SIGKILL a training subprocess mid-run (possibly mid-checkpoint), resume, compare."""
    folder = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(folder)], env=env)
    try:
        deadline = time.monotonic() + 300
        reached = False
        while time.monotonic() < deadline and child.poll() is None:
            latest = folder / "latest.json"
            if latest.is_file() and json.loads(latest.read_text())["step"] >= 10:
                reached = True
                break
            time.sleep(0.05)
        assert child.poll() is None, "the child finished before it could be killed"
        assert reached, "the child wrote no checkpoint at iteration 10 or later within 300 s"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    configs = [_config(steps=40, params={"beta": b}, seed=s) for b, s in ((1, 1), (4, 2))]
    resumed = train_pack(configs, SquaresData(), checkpoint_dir=folder, checkpoint_every=2)
    assert resumed[0].resumed_from_step is not None and 10 <= resumed[0].resumed_from_step < 40
    straight = train_pack(configs, SquaresData())
    for k in range(2):
        for name, value in _weights(straight[k].model).items():
            assert torch.equal(resumed[k].model.encoder.state_dict()[name], value), (k, name)
    final = load_tensors(folder / "ckpt-000000040" / "weights.safetensors")
    assert torch.equal(final["encoder.fc.weight"][1], straight[1].model.encoder.fc.weight.detach())


def test_unpadded_checkpoint_moments_are_padded_on_load():
    """Checkpoints of format 2 held Adam moments of unpadded rows ``(K, numel)``; padding them with
    zeros gives exactly the state of a padded run (its padding's moments stay zero)."""
    import math

    import numpy as np

    from disentbench.datasets.squares import SquaresData
    from disentbench.models import TrainConfig
    from disentbench.models.device_data import PackBatches
    from disentbench.models.pack_trainer import _Pack, _pack_moments_padded

    configs = [
        TrainConfig(
            dataset="synthetic_squares",
            method="beta_vae",
            params={"beta": b},
            seed=s,
            steps=3,
            batch_size=8,
            device="cpu",
            prefetch=False,
        )
        for b, s in ((1, 0), (4, 5))
    ]
    data = SquaresData()
    pack = _Pack(configs, data, torch.device("cpu"), "loop")
    states = [np.random.RandomState(0), np.random.RandomState(1)]
    batches = PackBatches(data, 8, states, torch.device("cpu"), prefetch=False)
    for _ in range(3):
        pack.iterate(batches.next()[0])
    saved = pack.vae_optimizer.state_dict()
    leaves = pack.nets.vae_parameters()
    shapes = [
        math.prod(pack.nets.shapes[part][name])
        for part in ("encoder", "decoder")
        for name in pack.nets.shapes[part]
    ]
    unpadded = {
        "state": {
            index: {
                key: value[:, : shapes[index]].clone()
                if isinstance(value, torch.Tensor) and value.dim() == 2
                else value
                for key, value in values.items()
            }
            for index, values in saved["state"].items()
        },
        "param_groups": saved["param_groups"],
    }
    assert any(unpadded["state"][i]["exp_avg"].shape != leaves[i].shape for i in unpadded["state"])
    restored = _pack_moments_padded(unpadded, leaves)
    for index, values in saved["state"].items():
        for key, value in values.items():
            assert torch.equal(restored["state"][index][key], value), (index, key)


@pytest.mark.parametrize(
    ("writer", "reader", "recorded"),
    [("loop", "vmap", True), ("vmap", "loop", True), ("loop", "vmap", False)],
    ids=["loop-to-vmap", "vmap-to-loop", "format-3-loop-to-vmap"],
)
def test_a_checkpoint_resumes_across_layouts(tmp_path, monkeypatch, writer, reader, recorded):
    """The vmap strategy keeps its convolution weights channels-first, the loop strategy
    channels-last: the Adam moments of a checkpoint (rows in the writer's layout, recorded since
    format 4; before, the writer's config's) are rearranged on load, so a pack resumed with the
    other strategy ends where a straight run of the writer's strategy does. Measured on 2 × 12
    iterations: within 7e-8 of it (the two strategies' straight runs differ by 4.5e-4 in the
    first layers, Adam's first steps being sign-like on near-zero gradients); without the
    rearrangement 1e-3, in the transposed convolutions."""
    from disentbench.models import pack_trainer
    from disentbench.models.pack_trainer import _Pack

    configs = [_config(steps=12, params={"beta": b}, seed=s) for b, s in ((1, 1), (4, 2))]
    data = SquaresData()
    assert _Pack(configs, data, torch.device("cpu"), "loop").memory_format == torch.channels_last
    assert _Pack(configs, data, torch.device("cpu"), "vmap").memory_format == torch.contiguous_format
    straight = train_pack(configs, data, strategy=writer)

    class Stop(Exception):
        pass

    def stop(step, _directory):
        if step == 6:
            raise Stop

    if not recorded:  # write as format 3 did: no layout in the trainer state
        save_state = pack_trainer.checkpoints.save_state

        def save_without_layout(path, state):
            save_state(
                path, {**{k: v for k, v in state.items() if k != "channels_last"}, "format_version": 3}
            )

        monkeypatch.setattr(pack_trainer.checkpoints, "save_state", save_without_layout)
    folder = tmp_path / "run"
    with pytest.raises(Stop):
        train_pack(
            configs, data, checkpoint_dir=folder, checkpoint_every=6, on_checkpoint=stop, strategy=writer
        )
    monkeypatch.undo()
    resumed = train_pack(configs, data, checkpoint_dir=folder, checkpoint_every=6, strategy=reader)
    assert resumed[0].resumed_from_step == 6
    assert resumed[0].model.training_stats["conv_layout"] == (
        "channels-first" if reader == "vmap" else "channels-last"
    )
    for k in range(2):
        for part in ("encoder", "decoder"):
            want = getattr(straight[k].model, part).state_dict()
            for name, got in getattr(resumed[k].model, part).state_dict().items():
                torch.testing.assert_close(got, want[name], rtol=0, atol=1e-6, msg=f"{k} {part}.{name}")


def test_resuming_with_other_convolutions_is_said_and_recorded(checkpoint, caplog):
    """A speed setting may change at a resume (rounding only); the log says so and the record
    carries the value the run continued with."""
    with caplog.at_level(logging.WARNING):
        resumed = train(
            _config(steps=6, convolutions="matmul"), SquaresData(), checkpoint_dir=checkpoint.parent
        )
    assert resumed.training_stats["resumed_from_step"] == 4
    assert "convolutions='native', resuming with 'matmul'" in caplog.text
    assert resumed.training_stats["convolutions"] == "matmul"
    assert resumed.training_stats["conv_layout"] == "matmul (channels-last activations)"
