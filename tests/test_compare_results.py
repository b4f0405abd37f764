"""``benchmarks/compare_results.py``: what it compares and how it counts differences."""

from __future__ import annotations

import json
from pathlib import Path

from _benchmarks import load_benchmark


def _compare_results():
    return load_benchmark("compare_results")


def _write(results: Path, trial: str, mig: float, seconds: float, loss: float) -> None:
    record = {
        "trial_id": trial,
        "status": "completed",
        "train_results": {"last_train_losses": {"loss": loss}, "elbo": -loss},
        "scores": {"mean": {"mig.discrete_mig": mig, "time.mig": seconds}},
    }
    (results / "records").mkdir(parents=True, exist_ok=True)
    (results / "records" / f"{trial}.json").write_text(json.dumps(record))


def test_scores_differ_but_wall_times_do_not_count(tmp_path, capsys):
    compare = _compare_results()
    a, b = tmp_path / "a", tmp_path / "b"
    _write(a, "t1", mig=0.2, seconds=5.0, loss=10.0)
    _write(b, "t1", mig=0.2, seconds=9.0, loss=10.0)
    _write(a, "t2", mig=0.4, seconds=5.0, loss=12.0)
    _write(b, "t2", mig=0.5, seconds=5.0, loss=12.0)
    _write(a, "t3", mig=0.1, seconds=1.0, loss=1.0)
    assert compare.main([str(a), str(b)]) == 1  # t3 completed in one only
    out = capsys.readouterr().out
    assert "completed in both: 2; completed in only one: 1" in out
    assert "losses: 4 values compared, 0 differ" in out
    assert (
        "scores: 2 values compared, 1 differ; largest relative difference 0.2 (t2 mean.mig.discrete_mig)"
        in out
    )
