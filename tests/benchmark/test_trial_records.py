"""What a trial's record says about failures and resumed training (no Ray cluster needed)."""

from __future__ import annotations

from disentbench.benchmark.runner import MAX_ERROR_CHARS, error_reason
from disentbench.benchmark.trial import resumed_train_results, training_timings

#: The shape of the error file Ray Tune writes when a worker cannot import the code.
RAY_ERROR = """Failure # 1 (occurred at 2026-11-29_10-00-00)
\x1b[36mray::ImplicitFunc.train()\x1b[39m (pid=123, ip=127.0.0.1, actor_id=abc)
  File "/venv/.../ray/tune/trainable/function_trainable.py", line 250, in _trainable_func
    output = fn()
  File "/work/disentbench/benchmark/runner.py", line 90, in tune_trainable
    from disentbench.models import train
ModuleNotFoundError: No module named 'disentbench.models'

The above exception was the direct cause of the following exception:

ray.exceptions.RayTaskError(ModuleNotFoundError): ray::ImplicitFunc.train()
An unexpected internal error occurred while the worker was executing a task.
"""


def test_the_cause_is_recorded_not_just_rays_last_line():
    summary, detail = error_reason(RAY_ERROR)
    assert "ModuleNotFoundError: No module named 'disentbench.models'" in summary
    assert "RayTaskError(ModuleNotFoundError)" in summary
    assert detail == RAY_ERROR.replace("\x1b[36m", "").replace("\x1b[39m", "").strip()
    assert error_reason("")[0] == "the trial failed without an error message"
    assert error_reason("something odd happened\n")[0] == "something odd happened"


def test_very_long_errors_keep_both_ends():
    text = "ValueError: start\n" + "x" * (3 * MAX_ERROR_CHARS) + "\nKeyError: 'end'"
    summary, detail = error_reason(text)
    assert summary == "ValueError: start | KeyError: 'end'"
    assert len(detail) < MAX_ERROR_CHARS + 100
    assert detail.startswith("ValueError: start") and detail.endswith("KeyError: 'end'")


def test_resumed_record_has_total_and_segment_time_and_a_rate():
    timings = training_timings(segment=30.0, before=90.0, steps=600)
    assert timings == {"train_seconds": 120.0, "train_seconds_segment": 30.0, "steps_per_second": 5.0}
    fresh = training_timings(segment=40.0, before=None, steps=400)
    assert fresh["train_seconds"] == fresh["train_seconds_segment"] == 40.0
    # The trainer's rates of a run resumed at its last step are null; the record's are not.
    stats = {"train_seconds": 100.0, "iterations": 500, "steps_per_second": None, "images_per_second": None}
    out = resumed_train_results(stats, resumed_from_step=500, batch_size=64)
    assert out["steps_per_second"] == 5.0 and out["images_per_second"] == 320.0
    assert resumed_train_results(stats, resumed_from_step=None, batch_size=64) == stats
