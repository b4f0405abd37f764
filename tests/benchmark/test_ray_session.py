"""Ray for a study: loopback only, refused authentication as one message, a quiet terminal."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from disentbench.benchmark import ray_session as ray_session_module
from disentbench.errors import UserError


def _listening(pids: set[int]) -> set[str]:
    """Addresses (IP strings) that these processes listen on."""
    found = set()
    for pid in pids:
        try:
            connections = psutil.Process(pid).net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found |= {c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN}
    return found


def _is_loopback(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _family(pid: int) -> set[int]:
    process = psutil.Process(pid)
    return {pid} | {child.pid for child in process.children(recursive=True)}


def test_embedded_ray_listens_on_loopback_only(ray_session):
    # The session's Ray was started by ray_session.start_embedded, as `disentbench run` starts it.
    addresses = _listening(_family(os.getpid()))
    assert addresses, "found no listening Ray socket"
    assert all(_is_loopback(ip) for ip in addresses), addresses
    assert ray_session.util.get_node_ip_address() == ray_session_module.LOOPBACK
    # Ray's token went to the test session's private home, not the user's.
    assert (Path(os.environ["HOME"]) / ".ray" / "auth_token").is_file()


def test_refused_authentication_is_one_message(monkeypatch):
    import ray
    from ray.exceptions import AuthenticationError

    def refuse(**kwargs):
        try:
            raise RuntimeError("Failed to connect to GCS") from AuthenticationError(
                "RPC error: InvalidAuthToken: Authentication token is missing or incorrect"
            )
        except RuntimeError as exc:
            raise ConnectionError("Failed to connect to Ray cluster at 10.0.0.5:6379") from exc

    monkeypatch.setattr(ray, "init", refuse)
    with pytest.raises(UserError) as caught:
        ray_session_module._join("10.0.0.5:6379")
    message = str(caught.value)
    assert "10.0.0.5:6379" in message and "RAY_AUTH_MODE=token" in message and "auth_token" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__

    monkeypatch.setattr(ray, "init", lambda **kwargs: (_ for _ in ()).throw(ConnectionError("no route")))
    with pytest.raises(ConnectionError):  # other failures stay what they are
        ray_session_module._join("10.0.0.5:6379")


NOISE = (
    "Token authentication",
    "Checkpoint successfully created",
    "tensorboard",
    "Configuration for experiment",
    "Trial status",
    "ConvergenceWarning",
    "(tune_trainable",
    "Started a local Ray instance",
)


@pytest.mark.slow
def test_run_is_quiet_and_listens_on_loopback_only(dsprites_root, tmp_path):
    study = {
        "study": "quiet",
        "datasets": ["dsprites_full"],
        "methods": {"factor_vae": [10]},
        "seeds": [0],
        "training": {"steps": 40, "batch_size": 16, "checkpoint_every": 10, "eval_batches": 2},
        "evaluation": {"preset": "smoke", "metrics": ["mig", "modularity_explicitness"]},
        "resources": {"cpus_per_trial": 1, "max_failures": 0},
    }
    path = tmp_path / "quiet.yaml"
    path.write_text(yaml.safe_dump(study))
    results = tmp_path / "results"
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_AUTH_MODE", None)  # as a user's shell: Ray's token notice must not show
    command = [sys.executable, "-m", "disentbench.cli", "run", str(path), "--results", str(results)]
    command += ["--data-root", str(dsprites_root)]
    run = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    addresses: set[str] = set()
    deadline = time.time() + 600
    while run.poll() is None and time.time() < deadline:
        addresses |= _listening(_family(run.pid))
        time.sleep(0.5)
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 0, out
    assert addresses and all(_is_loopback(ip) for ip in addresses), addresses

    lines = out.splitlines()
    assert len(lines) <= 16, out
    assert not [line for line in lines if any(noise in line for noise in NOISE)], out
    log_line = next(line for line in lines if "log of this run: " in line)
    log_path = Path(log_line.split("log of this run: ", 1)[1])
    assert log_path.parent == results / "logs" and log_path.name.startswith("run-")
    assert f"log: {log_path.resolve()}" in lines and f"results: {results.resolve()}" in out
    assert any(" start dsprites_full.factor_vae" in line for line in lines)
    assert any(" completed dsprites_full.factor_vae" in line for line in lines)
    text = log_path.read_text()
    assert "Started a local Ray instance" in text  # Ray's lines are kept, in the log

    (record,) = [json.loads(p.read_text()) for p in (results / "records").glob("*.json")]
    trial_log = (results / "logs" / "trials" / f"{record['trial_id']}.log").read_text()
    assert "training: iteration 21/21" in trial_log  # FactorVAE: ⌈(40 + 1) / 2⌉ iterations
    for representation in ("mean", "sampled"):
        assert f"evaluating {representation}: modularity_explicitness (2/2) done in" in trial_log
        assert record["scores"][representation]["meta.convergence_warnings"] >= 0
