"""Resuming from the newest checkpoint that verifies: a damaged newest one falls back to an older
one, or to step 0; finished trials' checkpoints are deleted unless kept (no Ray cluster needed)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from disentbench.benchmark.checkpoints import (
    delete_checkpoints,
    persisted_checkpoints,
    restore_newest_good,
    verify_trainer_checkpoint,
)


def test_persisted_checkpoints_newest_first(tmp_path):
    layout = [
        "smoke-20260101-000000-000001/t1/checkpoint_000003",
        "smoke-20260101-000000-000001/t2/checkpoint_000000",
        "smoke-20260102-000000-000001/t1/checkpoint_000001",  # a later run: newer than 000003
        "smoke-20260102-000000-000001/t1/checkpoint_000000",
        "smoke-20260102-000000-000001/t3/checkpoint_000004",  # not asked for
        "smoke-20260102-000000-000001/t2/error.txt",
    ]
    for item in layout:
        (tmp_path / item).mkdir(parents=True)
    found = persisted_checkpoints(str(tmp_path), {"t1", "t2", "t4"})
    run1, run2 = tmp_path / "smoke-20260101-000000-000001", tmp_path / "smoke-20260102-000000-000001"
    assert found == {
        "t1": [
            str(run2 / "t1/checkpoint_000001"),
            str(run2 / "t1/checkpoint_000000"),
            str(run1 / "t1/checkpoint_000003"),
        ],
        "t2": [str(run1 / "t2/checkpoint_000000")],
    }
    assert persisted_checkpoints(str(tmp_path / "missing"), {"t1"}) == {}
    assert delete_checkpoints(str(tmp_path), {"t1"}) == 3
    assert set(persisted_checkpoints(str(tmp_path), {"t1", "t2"})) == {"t2"}


def _config(**changes):
    from disentbench.models import TrainConfig

    fields = dict(
        dataset="dsprites_full",
        method="beta_vae",
        params={"beta": 1.0},
        steps=6,
        batch_size=8,
        checkpoint_every=2,
        eval_batches=1,
        device="cpu",
        num_threads=1,
        cuda_graphs=False,
        prefetch=False,
    )
    fields.update(changes)
    return TrainConfig(**fields)


@pytest.fixture(scope="module")
def persisted(dsprites_root, tmp_path_factory):
    """A trial's three persisted checkpoints (steps 2, 4, 6) laid out as Tune persists them."""
    from disentbench.datasets import get
    from disentbench.models import train

    data = get("dsprites_full", root=dsprites_root)
    storage = tmp_path_factory.mktemp("storage")
    trial = storage / "study-20260101-000000-000001" / "trial"
    work = tmp_path_factory.mktemp("work")

    def persist(step: int, directory: str) -> None:
        shutil.copytree(directory, trial / f"checkpoint_{step // 2 - 1:06d}")

    train(_config(), data, checkpoint_dir=work, on_checkpoint=persist)
    return data, storage


def _candidates(storage: Path) -> list:
    from ray import tune

    return [tune.Checkpoint(p) for p in persisted_checkpoints(str(storage), {"trial"})["trial"]]


def _damage(checkpoint: Path, name: str, keep: int) -> None:
    (target,) = checkpoint.glob(f"ckpt-*/{name}")
    target.write_bytes(target.read_bytes()[:keep])


def _flip_a_byte(checkpoint: Path, name: str) -> None:
    (target,) = checkpoint.glob(f"ckpt-*/{name}")
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))


def test_truncated_newest_checkpoint_falls_back_to_older(persisted, tmp_path, caplog):
    from disentbench.models import train

    data, pristine = persisted
    storage = tmp_path / "storage"
    shutil.copytree(pristine, storage)
    trial = storage / "study-20260101-000000-000001" / "trial"
    _damage(trial / "checkpoint_000002", "weights.safetensors", 100)  # step 6: truncated
    _damage(trial / "checkpoint_000001", "trainer_state.pt", 10)  # step 4: truncated state
    work = tmp_path / "work"
    work.mkdir()
    with caplog.at_level(logging.WARNING, logger="disentbench.benchmark.checkpoints"):
        chosen, rejected = restore_newest_good(_candidates(storage), work, "trial")
    assert chosen is not None and chosen.path.endswith("checkpoint_000000")
    assert len(rejected) == 2
    assert "checkpoint_000002" in rejected[0] and "weights.safetensors: has 100 bytes" in rejected[0]
    assert "trainer_state.pt: has 10 bytes" in rejected[1]
    assert "skipping damaged checkpoint" in caplog.text and "resumes from the older checkpoint" in caplog.text
    assert verify_trainer_checkpoint(work) is None
    model = train(_config(), data, checkpoint_dir=work)
    assert model.training_stats["resumed_from_step"] == 2


def test_no_intact_checkpoint_starts_at_step_zero(persisted, tmp_path, caplog):
    _, pristine = persisted
    storage = tmp_path / "storage"
    shutil.copytree(pristine, storage)
    trial = storage / "study-20260101-000000-000001" / "trial"
    _damage(trial / "checkpoint_000002", "weights.safetensors", 0)
    _flip_a_byte(trial / "checkpoint_000001", "weights.safetensors")  # same size, other bytes
    (storage / "study-20260101-000000-000001" / "trial" / "checkpoint_000000" / "latest.json").write_text("{")
    work = tmp_path / "work"
    work.mkdir()
    with caplog.at_level(logging.WARNING, logger="disentbench.benchmark.checkpoints"):
        chosen, rejected = restore_newest_good(_candidates(storage), work, "trial")
    assert chosen is None and len(rejected) == 3
    assert "checksum differs from the manifest" in rejected[1]
    assert "unreadable checkpoint pointer" in rejected[2]
    assert list(work.iterdir()) == []
    assert "training starts again at step 0" in caplog.text


def test_finished_trials_checkpoints_deleted_unless_kept(tmp_path):
    from disentbench.benchmark.runner import RunOptions, _drop_finished_checkpoints
    from disentbench.benchmark.study import parse_study
    from disentbench.results.records import new_record, write_record

    study = parse_study(
        {"study": "s", "datasets": ["dsprites_full"], "methods": {"beta_vae": [1]}, "seeds": 3}, "s.yaml"
    )
    done, failed, running = (spec.trial_id for spec in study.trials())
    storage = tmp_path / "ray"
    for trial_id in (done, failed, running):
        (storage / "s-20260101-000000-000001" / trial_id / "checkpoint_000000").mkdir(parents=True)
    for trial_id, status in ((done, "completed"), (failed, "failed")):
        record = new_record({}, trial_id, None, "s")
        record["status"] = status
        write_record(tmp_path, record)
    _drop_finished_checkpoints(study, str(tmp_path), str(storage), RunOptions(keep_checkpoints=True))
    assert set(persisted_checkpoints(str(storage), {done, failed, running})) == {done, failed, running}
    _drop_finished_checkpoints(study, str(tmp_path), str(storage), RunOptions())
    assert set(persisted_checkpoints(str(storage), {done, failed, running})) == {failed, running}
