"""A request no node can meet is refused before any trial starts (fixed cluster), or waited for
with a clear time-out (autoscaler)."""

from __future__ import annotations

import logging

import pytest

from disentbench.benchmark.resources import TrialRequest, check_cluster_fits, unmet
from disentbench.benchmark.runner import RunOptions, trial_request
from disentbench.benchmark.study import parse_study
from disentbench.errors import UserError

NODES = [{"CPU": 2.0}, {"CPU": 8.0, "GPU": 1.0}]


def _request(cpus: float, gpus: float) -> TrialRequest:
    return TrialRequest(cpus, gpus, "--cpus-per-trial", "resources.gpus_per_trial in s.yaml")


def test_a_node_that_fits_passes():
    assert unmet(_request(8, 1), NODES) is None
    assert unmet(_request(2, 0.25), NODES) is None
    check_cluster_fits(_request(1, 0), nodes=lambda: NODES, autoscaling=False)


@pytest.mark.parametrize(
    ("cpus", "gpus", "expected"),
    [
        (
            1000,
            0,
            "--cpus-per-trial asks for 1000 CPU(s) per trial, but the cluster has 2 node(s); "
            "the largest has 8 CPU(s) and 1 GPU(s)",
        ),
        (1, 2, "resources.gpus_per_trial in s.yaml asks for 2 GPU(s) per trial"),
        (4, 0, None),
        (8.5, 1, "--cpus-per-trial asks for 8.5 CPU(s)"),
    ],
)
def test_fixed_cluster_refuses_naming_the_source_and_what_it_has(cpus, gpus, expected):
    if expected is None:
        check_cluster_fits(_request(cpus, gpus), nodes=lambda: NODES, autoscaling=False)
        return
    with pytest.raises(UserError) as info:
        check_cluster_fits(_request(cpus, gpus), nodes=lambda: NODES, autoscaling=False)
    assert expected in str(info.value)


def test_no_single_node_has_both():
    reason = unmet(_request(4, 1), [{"CPU": 8.0}, {"CPU": 2.0, "GPU": 1.0}])
    assert reason is not None and "no single node has both" in reason


def test_autoscaler_waits_then_times_out_clearly(caplog):
    with caplog.at_level(logging.WARNING, logger="disentbench.benchmark.resources"):
        with pytest.raises(UserError, match=r"added no node that fits within 0 s \(--resource-timeout\)"):
            check_cluster_fits(
                _request(0, 4), nodes=lambda: NODES, autoscaling=True, timeout=0.2, poll_seconds=0.05
            )
    assert "waiting up to 0 s for the autoscaler" in caplog.text


def test_autoscaler_node_joining_lets_the_run_start():
    calls = []

    def nodes():
        calls.append(1)
        return NODES if len(calls) < 3 else [*NODES, {"CPU": 16.0, "GPU": 4.0}]

    check_cluster_fits(_request(0, 4), nodes=nodes, autoscaling=True, timeout=30, poll_seconds=0.01)
    assert len(calls) == 3


def test_request_names_the_flag_or_the_study_field():
    study = parse_study(
        {
            "study": "s",
            "datasets": ["dsprites_full"],
            "methods": {"beta_vae": [1]},
            "seeds": 1,
            "resources": {"cpus_per_trial": 3, "gpus_per_trial": 1},
        },
        "s.yaml",
    )
    from_study = trial_request(study, RunOptions())
    assert (from_study.cpus, from_study.gpus) == (3.0, 1.0)
    assert from_study.gpus_source == "resources.gpus_per_trial in s.yaml"
    flags = trial_request(study, RunOptions(cpus_per_trial=1.0, gpus_per_trial=0.0))
    assert (flags.cpus, flags.gpus) == (1.0, 0.0)  # a zero flag wins over the study's 1
    assert (flags.cpus_source, flags.gpus_source) == ("--cpus-per-trial", "--gpus-per-trial")
