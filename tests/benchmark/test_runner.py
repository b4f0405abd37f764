"""The runner with real Ray and the real trial (data, models, metrics): end to end.

Trials are tiny (tens of steps, the ``smoke`` metric preset, one or two metrics) so the whole file stays
within the area's time budget. The fault cases (killed worker, interrupted driver, a separate
``ray start`` cluster with two nodes) are marked slow; CI runs them too.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

from disentbench.benchmark.runner import RunOptions, run_study
from disentbench.benchmark.study import load_study
from disentbench.benchmark.trial import checkpoint_step
from disentbench.cli import main
from disentbench.results import load
from disentbench.results.records import existing_records

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
TINY = {"steps": 20, "batch_size": 16, "checkpoint_every": 10, "eval_batches": 2}
SMOKE_EVAL = {"preset": "smoke", "metrics": ["mig"], "representations": ["mean", "sampled"]}
MEAN_ONLY = {**SMOKE_EVAL, "representations": ["mean"]}


def _study(tmp_path: Path, name: str, **fields) -> Path:
    data = {
        "study": name,
        "datasets": ["dsprites_full"],
        "methods": {"beta_vae": [1]},
        "seeds": [0],
        "training": dict(TINY),
        "evaluation": dict(MEAN_ONLY),
        "resources": {"cpus_per_trial": 1, "max_failures": 0},
    }
    data.update(fields)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_smoke_study_through_cli(ray_session, dsprites_root, tmp_path, capsys):
    smoke = yaml.safe_load((CONFIGS / "smoke.yaml").read_text())
    smoke["training"] = dict(TINY)
    smoke["evaluation"] = dict(SMOKE_EVAL)
    path = tmp_path / "smoke.yaml"
    path.write_text(yaml.safe_dump(smoke))
    results = tmp_path / "results"
    args = ["run", str(path), "--results", str(results), "--data-root", str(dsprites_root)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"results: {results.resolve()}" in out

    records = existing_records(results)
    assert len(records) == 6
    by_method = {r["spec"]["method"]: r for r in records.values()}
    assert sorted(r["model_num"] for r in records.values()) == [0, 300, 600, 900, 1350, 1500]
    for record in records.values():
        assert record["status"] == "completed", record["error"]
        assert set(record["scores"]) == {"mean", "sampled"}
        assert 0.0 <= record["scores"]["mean"]["mig.discrete_mig"] <= 1.0
        assert record["data"]["source"] == "rendered" and record["data"]["reduced"] is True
        assert {"torch", "numpy", "scikit-learn", "ray"} <= set(record["versions"])
        assert record["train_results"]["reconstruction_loss"] > 0
        timings = record["timings"]
        assert 0 < timings["train_seconds"] < timings["wall_seconds"] <= timings["driver_wall_seconds"]
    assert by_method["factor_vae"]["spec"]["params"] == {"gamma": 10.0}

    table = load(results)
    assert len(table) == 12 and set(table["representation"]) == {"mean", "sampled"}
    assert table["mig.discrete_mig"].notna().all()

    assert main(["status", str(results)]) == 0
    assert "done 6   failed 0   pending 0" in capsys.readouterr().out
    # Finished trials' checkpoints are deleted by default (--keep-checkpoints keeps them).
    assert not list((results / "ray").glob("*/*/checkpoint_*"))
    assert main(["export", str(results), "--format", "csv"]) == 0
    assert (results / "results.csv").is_file()

    # Re-running skips every recorded trial and leaves the records untouched.
    before = {p.name: p.stat().st_mtime_ns for p in (results / "records").iterdir()}
    assert main(args) == 0
    assert "ran 0 trial(s)" in capsys.readouterr().out
    assert before == {p.name: p.stat().st_mtime_ns for p in (results / "records").iterdir()}


def test_failures_are_recorded_and_the_study_continues(ray_session, dsprites_root, tmp_path, capsys):
    # beta = 1e300 overflows the loss at once (TrainingDiverged); scream_dsprites cannot load
    # its damaged Scream image (the trial raises; Tune gives up after max_failures = 0). (A
    # missing file would stop the run before it starts: test_stand_in_policy.py.)
    path = _study(
        tmp_path,
        "faults",
        datasets=["dsprites_full", "scream_dsprites"],
        methods={"beta_vae": [1, 1e300]},
    )
    root = tmp_path / "data"
    (root / "scream").mkdir(parents=True)
    (root / "dsprites").symlink_to(dsprites_root / "dsprites")
    (root / "scream" / "scream.jpg").write_bytes(b"not a jpeg")
    results = tmp_path / "results"
    assert main(["run", str(path), "--results", str(results), "--data-root", str(root)]) == 1
    records = existing_records(results)
    assert len(records) == 4
    status = {(r["spec"]["dataset"], r["spec"]["strength"]): r for r in records.values()}
    assert status[("dsprites_full", 1.0)]["status"] == "completed"
    diverged = status[("dsprites_full", 1e300)]
    assert diverged["status"] == "failed" and diverged["error"].startswith("TrainingDiverged")
    for strength in (1.0, 1e300):
        raised = status[("scream_dsprites", strength)]
        assert raised["status"] == "failed" and "scream" in raised["error"].lower()
    assert main(["status", str(results)]) == 0
    out = capsys.readouterr().out
    assert "done 1   failed 3   pending 0" in out and "TrainingDiverged" in out


def test_impossible_resources_exit_2_before_any_trial(ray_session, dsprites_root, tmp_path, capsys):
    path = _study(tmp_path, "huge", resources={"cpus_per_trial": 1000})
    results = tmp_path / "results"
    # The data root holds dSprites, so the run does not render the full stand-in before it checks.
    args = ["run", str(path), "--results", str(results), "--data-root", str(dsprites_root)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"resources.cpus_per_trial in {path} asks for 1000 CPU(s) per trial" in err
    assert "the largest has 2 CPU(s) and 0 GPU(s)" in err
    assert main([*args, "--cpus-per-trial", "1", "--gpus-per-trial", "1"]) == 2
    assert "--gpus-per-trial asks for 1 GPU(s) per trial" in capsys.readouterr().err
    assert not list((results / "records").glob("*.json"))


def test_worker_failure_records_the_whole_cause(ray_session, dsprites_root, tmp_path):
    def trainable(config):
        try:
            import disentbench_no_such_module  # noqa: F401
        except ModuleNotFoundError as exc:
            raise RuntimeError("An unexpected internal error occurred") from exc

    # The session's reduced dSprites as the data root: without one the run renders the full
    # stand-in (~30 s) that this trainable never reads.
    options = RunOptions(data_root=str(dsprites_root))
    study = load_study(_study(tmp_path, "cause"))
    summary = run_study(study, tmp_path / "results", options, trainable=trainable)
    assert summary.failed == 1
    (record,) = existing_records(tmp_path / "results").values()
    assert "ModuleNotFoundError: No module named 'disentbench_no_such_module'" in record["error"]
    assert "RuntimeError: An unexpected internal error occurred" in record["error"]
    detail = record["error_detail"]  # the whole traceback, without terminal colour codes
    assert "The above exception was the direct cause" in detail and "\x1b[" not in detail


@pytest.mark.slow
def test_resume_skips_a_damaged_newest_checkpoint(ray_session, dsprites_root, tmp_path):
    from disentbench import datasets
    from disentbench.benchmark.trial import train_config
    from disentbench.models import train

    path = _study(tmp_path, "damaged", training={**TINY, "steps": 30})
    study = load_study(path)
    (spec,) = study.trials()
    results = tmp_path / "results"
    trial_dir = results / "ray" / "damaged-20260101-000000-000001" / spec.trial_id
    persisted: list[Path] = []

    def persist(step: int, directory: str) -> None:
        target = trial_dir / f"checkpoint_{len(persisted):06d}"
        shutil.copytree(directory, target)
        (target / "disentbench_progress.json").write_text(json.dumps({"step": step, "train_seconds": 1.0}))
        persisted.append(target)

    # An earlier run persisted checkpoints at steps 10, 20 and 30, then its driver was killed (so
    # it never evaluated: the trial's training alone, as run_trial trains it).
    data = datasets.get(spec.dataset, root=dsprites_root)
    train(train_config(spec, None), data, checkpoint_dir=str(tmp_path / "work"), on_checkpoint=persist)
    assert len(persisted) == 3
    (weights,) = persisted[-1].glob("ckpt-*/weights.safetensors")
    weights.write_bytes(weights.read_bytes()[:64])  # the newest: half written
    summary = run_study(study, results, RunOptions(data_root=str(dsprites_root)))
    assert summary.exit_code == 0
    (record,) = existing_records(results).values()
    assert record["status"] == "completed" and record["resumed_from_step"] == 20
    assert record["timings"]["train_seconds"] > record["timings"]["train_seconds_segment"]


def _descendant_pids() -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process(os.getpid()).children(recursive=True)}


@pytest.mark.slow
def test_killed_worker_resumes_from_checkpoint(ray_session, dsprites_root, tmp_path):
    path = _study(
        tmp_path,
        "kill",
        training={"steps": 120, "batch_size": 16, "checkpoint_every": 30, "eval_batches": 2},
        resources={"cpus_per_trial": 1, "max_failures": 2},
    )
    results = tmp_path / "results"
    killed: list[int] = []
    killed_pid: list[int] = []
    finished = threading.Event()

    def kill_after_first_checkpoint() -> None:
        # No deadline: under load the first checkpoint can take minutes; the run's end stops it.
        while not finished.is_set() and not killed:
            for marker in (results / "ray").glob("*/*/checkpoint_*/disentbench_progress.json"):
                if checkpoint_step(marker.parent) is None:
                    continue  # Ray is still copying this checkpoint to storage
                try:
                    info = json.loads(marker.read_text())
                except ValueError:
                    continue
                if info["pid"] in _descendant_pids():  # only a worker of this test's Ray
                    os.kill(info["pid"], signal.SIGKILL)
                    killed.append(info["step"])
                    killed_pid.append(info["pid"])
                    return
            time.sleep(0.05)

    watcher = threading.Thread(target=kill_after_first_checkpoint, daemon=True)
    watcher.start()
    try:
        summary = run_study(load_study(path), results, RunOptions(data_root=str(dsprites_root)))
    finally:
        finished.set()
    watcher.join(timeout=30)
    assert killed, "the watcher never saw a checkpoint"
    assert summary.exit_code == 0
    files = list((results / "records").glob("*.json"))
    assert len(files) == 1
    record = json.loads(files[0].read_text())
    assert record["status"] == "completed"
    assert record["resumed_from_step"] is not None and record["resumed_from_step"] >= killed[0]
    assert record["train_results"]["resumed_from_step"] == record["resumed_from_step"]
    timings = record["timings"]
    assert 0 < timings["train_seconds_segment"] < timings["train_seconds"]
    assert timings["steps_per_second"] > 0 and record["train_results"]["steps_per_second"] > 0
    # The killed worker's scratch folder was removed (by the retried trial or the driver).
    assert not [p for p in Path(tempfile.gettempdir()).glob(f"disentbench-trial-{killed_pid[0]}-*")]


def _cli(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "disentbench.cli", *args],
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


@pytest.mark.slow
def test_interrupted_driver_resumes_without_retraining(dsprites_root, tmp_path):
    path = _study(
        tmp_path,
        "interrupt",
        methods={"beta_vae": [1], "beta_tc_vae": [1]},
        training={"steps": 60, "batch_size": 16, "checkpoint_every": 30, "eval_batches": 2},
        resources={"cpus_per_trial": 1, "max_concurrent": 1, "max_failures": 0},
    )
    results = tmp_path / "results"
    args = ["run", str(path), "--results", str(results), "--data-root", str(dsprites_root)]
    first = _cli(*args)
    deadline = time.time() + 240
    while time.time() < deadline and not list((results / "records").glob("*.json")):
        assert first.poll() is None, first.stdout.read()
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    try:
        first.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        first.kill()
        first.communicate()
    done_first = {p.name: p.read_text() for p in (results / "records").glob("*.json")}
    assert len(done_first) == 1  # one trial at a time: the second was pending or running

    second = _cli("resume", str(results))
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0, out
    records = existing_records(results)
    assert len(records) == 2 and all(r["status"] == "completed" for r in records.values())
    # Trials finished in the first run were not retrained: their records are byte-identical,
    # and every other record comes from the second run.
    for name, text in done_first.items():
        assert (results / "records" / name).read_text() == text
    first_run = {json.loads(t)["run_id"] for t in done_first.values()}
    second_run = {r["run_id"] for r in records.values()} - first_run
    assert len(first_run) == 1 and len(second_run) == 1
    assert sum(r["run_id"] in second_run for r in records.values()) == 2 - len(done_first)


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _ray_start(args: list[str], temp_dir: Path, env: dict[str, str]) -> subprocess.Popen:
    ports = _free_ports(5)
    command = [
        str(Path(sys.executable).with_name("ray")),
        "start",
        "--block",
        "--num-cpus=1",
        "--node-ip-address=127.0.0.1",
        f"--temp-dir={temp_dir}",
        f"--dashboard-agent-listen-port={ports[0]}",
        f"--dashboard-agent-grpc-port={ports[1]}",
        f"--metrics-export-port={ports[2]}",
        f"--runtime-env-agent-port={ports[3]}",
        f"--node-manager-port={ports[4]}",
        "--disable-usage-stats",
        *args,
    ]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _stop(*processes: subprocess.Popen) -> None:
    """Stop the ``ray start --block`` nodes we started, each with its process group (by id).

    A node's raylet and GCS take about 30 s to exit on SIGTERM; the test's cluster is thrown away,
    so after a few seconds' grace the groups are killed.
    """
    running = [p for p in processes if p.poll() is None]
    for process in running:
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.slow
def test_two_node_cluster_through_address(dsprites_root, tmp_path):
    # `ray start` nodes listen beyond loopback (Ray advertises the outward address even for
    # --node-ip-address=127.0.0.1), so the cluster uses token authentication, as docs/cluster.md.
    (gcs_port,) = _free_ports(1)
    token = tmp_path / "auth_token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    env = {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token),
    }
    head = _ray_start(
        ["--head", f"--port={gcs_port}", "--include-dashboard=false"],
        Path("/tmp") / f"dbh{gcs_port}",
        env,
    )
    worker = None
    try:
        address = f"127.0.0.1:{gcs_port}"
        time.sleep(4)
        worker = _ray_start([f"--address={address}"], Path("/tmp") / f"dbw{gcs_port}", env)
        _wait_for_nodes(address, 2, env)
        path = _study(
            tmp_path,
            "cluster",
            seeds=[0, 1],
            training={"steps": 20, "batch_size": 16, "checkpoint_every": 10, "eval_batches": 2},
        )
        results = tmp_path / "results"
        # A driver without the token is refused with one message saying what to set.
        stranger = {k: v for k, v in env.items() if k not in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH")}
        stranger["HOME"] = str(tmp_path / "stranger")
        # Ray retries a refused connection 20 times, a second apart, before it raises; 3 tries
        # reach the same refusal.
        stranger["RAY_NUM_REDIS_GET_RETRIES"] = "3"
        command = [sys.executable, "-m", "disentbench.cli", "run", str(path), "--results", str(results)]
        refused = subprocess.run(
            [*command, "--data-root", str(dsprites_root), "--address", address],
            env=stranger,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "RAY_AUTH_MODE=token" in refused.stderr and "Traceback" not in refused.stderr
        assert not list((results / "records").glob("*.json"))

        run = _cli(
            "run",
            str(path),
            "--results",
            str(results),
            "--data-root",
            str(dsprites_root),
            "--address",
            address,
            env=env,
        )
        out, _ = run.communicate(timeout=300)
        assert run.returncode == 0, out
        assert "joined the Ray cluster" in out
        records = existing_records(results)
        assert len(records) == 2 and all(r["status"] == "completed" for r in records.values())
        assert len({r["node_id"] for r in records.values()}) == 2  # one trial on each node
    finally:
        _stop(*[p for p in (worker, head) if p is not None])


def _wait_for_nodes(address: str, count: int, env: dict[str, str]) -> None:
    probe = (
        "import ray,sys,time\n"
        f"ray.init(address={address!r}, log_to_driver=False)\n"
        "for _ in range(120):\n"
        f"    if len([n for n in ray.nodes() if n['Alive']]) >= {count}: sys.exit(0)\n"
        "    time.sleep(0.5)\n"
        "sys.exit(1)\n"
    )
    assert subprocess.run([sys.executable, "-c", probe], env=env, timeout=120).returncode == 0
