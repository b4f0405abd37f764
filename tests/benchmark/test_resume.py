"""Finding the checkpoint an interrupted run left behind, by trial id (no Ray needed)."""

from __future__ import annotations

from disentbench.benchmark.runner import find_resume_checkpoints


def test_latest_checkpoint_of_each_trial(tmp_path):
    layout = [
        "smoke-20260101-000000-000001/t1/checkpoint_000003",
        "smoke-20260101-000000-000001/t2/checkpoint_000000",
        "smoke-20260102-000000-000001/t1/checkpoint_000001",  # a later run: wins over 000003
        "smoke-20260102-000000-000001/t3/checkpoint_000004",  # not asked for
        "smoke-20260102-000000-000001/t2/error.txt",
    ]
    for item in layout:
        (tmp_path / item).mkdir(parents=True)
    found = find_resume_checkpoints(str(tmp_path), {"t1", "t2", "t4"})
    assert found == {
        "t1": str(tmp_path / "smoke-20260102-000000-000001/t1/checkpoint_000001"),
        "t2": str(tmp_path / "smoke-20260101-000000-000001/t2/checkpoint_000000"),
    }
    assert find_resume_checkpoints(str(tmp_path / "missing"), {"t1"}) == {}
