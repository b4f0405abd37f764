"""The Ray Tune runner: one grid of trial specs, records written by the driver (issue 5 §3, §6).

Design:
- The grid is the study's trials minus those whose record already exists, so re-running a study
  (or ``disentbench resume``) skips finished trials and retrains nothing.
- Each trial reports its checkpoints through ``ray.tune.report(checkpoint=...)``; Tune persists
  them under the storage path (absolute; a shared file system or an object-store URI on a
  multi-node cluster). A trial whose worker dies is retried by ``FailureConfig`` from its last
  checkpoint (``ray.tune.get_checkpoint``). A trial interrupted in an earlier run resumes from
  the latest checkpoint that run persisted (found by trial id under the storage path).
- The trial sends its finished record as its last result; the driver writes it into
  ``RESULTS/records`` (``RecordWriter``). Records therefore land in the results directory even
  when the trial ran on a node that cannot see the driver's disk, and a retried trial still
  yields exactly one record (the file is keyed by the trial id and replaced atomically).
- A trial that raises after its last retry is recorded as failed by the driver with the error.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from disentbench.benchmark.study import Study, TrialSpec
from disentbench.benchmark.trial import PROGRESS_FILE, checkpoint_step, prepare_data, run_trial
from disentbench.errors import UserError
from disentbench.io import _json_default as json_default
from disentbench.io import write_json_atomic
from disentbench.results.ids import check_id
from disentbench.results.records import existing_records, new_record, write_record

log = logging.getLogger(__name__)

#: Result key carrying the finished record (a JSON string, so Tune's loggers do not flatten it).
RECORD_KEY = "disentbench_record"
#: Sub-folder of the results directory used as Ray's storage path unless ``--storage`` is given.
STORAGE_DIR = "ray"


@dataclasses.dataclass
class RunOptions:
    """How to run a study (the CLI's flags); ``None`` means "take it from the study file"."""

    address: str | None = None
    cpus_per_trial: float | None = None
    gpus_per_trial: float | None = None
    max_concurrent: int | None = None
    max_failures: int | None = None
    storage: str | None = None
    data_root: str | None = None
    retry_failed: bool = False


@dataclasses.dataclass
class RunSummary:
    """The study's state after a run: trials by record status, and how many this run ran."""

    total: int
    completed: int
    failed: int
    pending: int
    ran: int
    results: str

    @property
    def exit_code(self) -> int:
        """0 if every trial of the study has a completed record, else 1."""
        return 0 if self.completed == self.total else 1


def pending_trials(
    study: Study, results: str | os.PathLike[str], retry_failed: bool = False
) -> list[TrialSpec]:
    """The study's trials without a record (or with a failed one, if ``retry_failed``)."""
    records = existing_records(results)
    pending = []
    for spec in study.trials():
        record = records.get(spec.trial_id)
        if record is None or (retry_failed and record["status"] != "completed"):
            pending.append(spec)
    return pending


def tune_trainable(config: dict[str, Any]) -> None:
    """The Ray Tune function trainable: one trial, checkpoints and record reported to Tune."""
    import ray
    from ray import tune

    config = config["trial"]
    spec = TrialSpec.from_dict(config["spec"])
    work = tempfile.mkdtemp(prefix="disentbench-trial-")
    try:
        checkpoint = tune.get_checkpoint()  # set when Tune retries this trial after a failure
        if checkpoint is None and config.get("resume_from"):
            checkpoint = tune.Checkpoint(config["resume_from"])  # left over by an interrupted run
        resumed = None
        if checkpoint is not None:
            checkpoint.to_directory(work)
            resumed = checkpoint_step(work)
            log.info("trial %s resumes from step %s", spec.trial_id, resumed)

        def on_checkpoint(step: int, directory: str) -> None:
            marker = {"step": step, "trial_id": spec.trial_id, "pid": os.getpid()}
            write_json_atomic(Path(directory) / PROGRESS_FILE, marker)
            tune.report({"step": step}, checkpoint=tune.Checkpoint.from_directory(directory))

        record = run_trial(
            spec,
            checkpoint_dir=work,
            on_checkpoint=on_checkpoint,
            data_root=config.get("data_root"),
            num_threads=config.get("num_threads"),
            resumed_from_step=resumed,
        )
        record["run_id"] = config["run_id"]
        record["node_id"] = ray.get_runtime_context().get_node_id()
        tune.report({"step": spec.steps, RECORD_KEY: json.dumps(record, default=json_default)})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _error_text(trial: Any) -> str:
    """The last error Tune stored for ``trial``: its final line as summary, plus the tail."""
    text = ""
    try:
        if trial.error_file and os.path.exists(trial.error_file):
            text = Path(trial.error_file).read_text(errors="replace")
    except OSError:
        pass
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "the trial failed without an error message"


def _make_record_writer(results: str, specs: dict[str, TrialSpec], run_id: str, total: int) -> Any:
    """A Tune callback that writes records on the driver and logs progress."""
    from ray import tune

    class RecordWriter(tune.Callback):
        def __init__(self) -> None:
            self.started: dict[str, float] = {}
            self.completed = 0
            self.failed = 0
            self.last_progress: dict[str, float] = {}
            self.recorded: set[str] = set()

        def _elapsed(self, trial_id: str) -> float:
            return time.perf_counter() - self.started.get(trial_id, time.perf_counter())

        def _line(self) -> str:
            return f"[{self.completed + self.failed}/{total} done, {self.failed} failed]"

        def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            trial_id = trial.config["trial"]["trial_id"]
            self.started.setdefault(trial_id, time.perf_counter())
            log.info("%s start %s", self._line(), trial_id)

        def on_trial_result(
            self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
        ) -> None:
            trial_id = trial.config["trial"]["trial_id"]
            if RECORD_KEY not in result:
                now = time.perf_counter()
                if now - self.last_progress.get(trial_id, 0.0) >= 10.0:
                    self.last_progress[trial_id] = now
                    log.info(
                        "%s %s at step %s/%s",
                        self._line(),
                        trial_id,
                        result.get("step"),
                        specs[trial_id].steps,
                    )
                return
            record = json.loads(result[RECORD_KEY])
            record["timings"]["driver_wall_seconds"] = self._elapsed(trial_id)
            write_record(results, record)
            self.recorded.add(trial_id)
            if record["status"] == "completed":
                self.completed += 1
                log.info(
                    "%s completed %s in %.1f s", self._line(), trial_id, record["timings"]["wall_seconds"]
                )
            else:
                self.failed += 1
                log.warning("%s FAILED %s: %s", self._line(), trial_id, record["error"])

        def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            log.warning(
                "%s retrying %s after: %s",
                self._line(),
                trial.config["trial"]["trial_id"],
                _error_text(trial),
            )

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            trial_id = trial.config["trial"]["trial_id"]
            if trial_id in self.recorded:  # it failed after sending its record: keep the record
                log.warning("%s %s errored after its record: %s", self._line(), trial_id, _error_text(trial))
                return
            spec = specs[trial_id]
            record = new_record(spec.to_dict(), trial_id, spec.model_num, spec.study)
            record["error"] = _error_text(trial)
            record["run_id"] = run_id
            record["device"] = record["host"] = None  # the driver does not know where it ran
            record["timings"]["driver_wall_seconds"] = self._elapsed(trial_id)
            write_record(results, record)
            self.failed += 1
            log.warning("%s FAILED %s: %s", self._line(), trial_id, record["error"])

    return RecordWriter()


def prepare_datasets(names: tuple[str, ...], data_root: str | None) -> None:
    """Prepare each data set on the driver's machine before trials start (embedded Ray).

    The one render of a missing data set then happens once, in the driver, with its log line in
    the driver's output, instead of inside the first trial. A data set that cannot be prepared is
    only logged here: its trials fail and are recorded with the reason.
    """
    for name in names:
        try:
            prepare_data(name, data_root)
        except UserError as exc:
            log.warning("data set %s is not available (%s); its trials will fail", name, exc)


def find_resume_checkpoints(storage: str, trial_ids: set[str]) -> dict[str, str]:
    """Latest persisted checkpoint per trial id under ``storage`` (from earlier, interrupted runs).

    Layout (Tune's): ``<storage>/<run>/<trial_id>/checkpoint_NNNNNN``; run names sort by time.
    Works for local paths and object-store URIs alike (through ``pyarrow.fs``).
    """
    import pyarrow.fs as pafs

    try:
        fs, root = pafs.FileSystem.from_uri(storage)
    except (pafs.ArrowInvalid, ValueError):
        fs, root = pafs.LocalFileSystem(), storage
    found: dict[str, tuple[str, str, str]] = {}
    try:
        runs = fs.get_file_info(pafs.FileSelector(root, allow_not_found=True))
    except OSError:
        return {}
    for run in runs:
        if run.type != pafs.FileType.Directory:
            continue
        for trial_dir in fs.get_file_info(pafs.FileSelector(run.path)):
            if trial_dir.type != pafs.FileType.Directory or trial_dir.base_name not in trial_ids:
                continue
            for item in fs.get_file_info(pafs.FileSelector(trial_dir.path)):
                if item.type == pafs.FileType.Directory and item.base_name.startswith("checkpoint_"):
                    key = (run.base_name, item.base_name, item.path)
                    if trial_dir.base_name not in found or key > found[trial_dir.base_name]:
                        found[trial_dir.base_name] = key
    prefix = storage[: len(storage) - len(root)] if storage.endswith(root) else ""
    return {trial_id: prefix + key[2] for trial_id, key in found.items()}


def run_study(
    study: Study,
    results: str | os.PathLike[str],
    options: RunOptions | None = None,
    *,
    trainable: Callable[[dict[str, Any]], None] | None = None,
) -> RunSummary:
    """Run every pending trial of ``study`` on Ray Tune; records land in ``results/records``."""
    options = options or RunOptions()
    results = os.path.abspath(os.fspath(results))
    all_specs = study.trials()
    pending = pending_trials(study, results, retry_failed=options.retry_failed)
    skipped = len(all_specs) - len(pending)
    Path(results).mkdir(parents=True, exist_ok=True)
    if skipped:
        log.info(
            "%d of %d trials already have records in %s; skipping them", skipped, len(all_specs), results
        )
    if not pending:
        return summarize(study, results)
    if options.storage:
        check_storage(options.storage)

    import ray
    from ray import tune

    resources = study.resources
    cpus = options.cpus_per_trial if options.cpus_per_trial is not None else resources.cpus_per_trial
    gpus = options.gpus_per_trial if options.gpus_per_trial is not None else resources.gpus_per_trial
    max_concurrent = (
        options.max_concurrent if options.max_concurrent is not None else resources.max_concurrent
    )
    max_failures = options.max_failures if options.max_failures is not None else resources.max_failures
    storage = options.storage or os.path.join(results, STORAGE_DIR)
    if "://" not in storage:
        storage = os.path.abspath(storage)
    data_root = options.data_root or os.environ.get("DISENTBENCH_DATA")

    # num_to_keep=1 forces an experiment-state snapshot per checkpoint (cheap here); without this
    # Tune warns about it on every checkpoint of a short trial.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    started_ray = False
    if not ray.is_initialized():
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if options.address:
            ray.init(address=options.address, log_to_driver=True)
            log.info("joined the Ray cluster at %s", options.address)
        else:
            ray.init(address="local", include_dashboard=False)
            log.info("started an embedded local Ray")
        started_ray = True
    try:
        if not options.address:
            prepare_datasets(study.datasets, data_root)
        run_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
        specs = {spec.trial_id: spec for spec in pending}
        resume = find_resume_checkpoints(storage, set(specs))
        if resume:
            log.info("%d trial(s) resume from checkpoints of an earlier run", len(resume))
        configs = [
            {
                "trial_id": spec.trial_id,
                "spec": spec.to_dict(),
                "resume_from": resume.get(spec.trial_id),
                "data_root": data_root,
                "num_threads": max(1, int(cpus)),
                "run_id": run_id,
            }
            for spec in pending
        ]
        log.info(
            "running %d trial(s) of study %s (%s cpu, %s gpu per trial); records -> %s",
            len(pending),
            study.name,
            cpus,
            gpus,
            os.path.join(results, "records"),
        )
        tuner = tune.Tuner(
            tune.with_resources(trainable or tune_trainable, {"cpu": cpus, "gpu": gpus}),
            param_space={"trial": tune.grid_search(configs)},
            tune_config=tune.TuneConfig(
                max_concurrent_trials=max_concurrent,
                # Same resources for every trial: a worker keeps torch imported and the data
                # mapped from one trial to the next (the per-trial overhead, benchmarks/).
                reuse_actors=True,
                trial_name_creator=lambda trial: trial.config["trial"]["trial_id"],
                trial_dirname_creator=lambda trial: check_id(trial.config["trial"]["trial_id"], "trial_id"),
            ),
            run_config=tune.RunConfig(
                name=f"{study.name}-{run_id}",
                storage_path=storage,
                failure_config=tune.FailureConfig(max_failures=max_failures),
                checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
                callbacks=[_make_record_writer(results, specs, run_id, len(pending))],
                verbose=0,
            ),
        )
        tuner.fit()
    finally:
        if started_ray:
            ray.shutdown()
    return summarize(study, results, ran=len(pending))


def summarize(study: Study, results: str | os.PathLike[str], ran: int = 0) -> RunSummary:
    """Counts of the study's trials by the records present in ``results``."""
    records = existing_records(results)
    statuses = [records[spec.trial_id]["status"] for spec in study.trials() if spec.trial_id in records]
    total = len(study.trials())
    completed = statuses.count("completed")
    failed = statuses.count("failed")
    return RunSummary(
        total=total,
        completed=completed,
        failed=failed,
        pending=total - completed - failed,
        ran=ran,
        results=os.fspath(results),
    )


def check_storage(storage: str) -> None:
    """Reject a relative local storage path early (Ray Tune requires it absolute)."""
    if "://" not in storage and not os.path.isabs(storage):
        raise UserError(f"--storage {storage!r}: expected an absolute path or a URI such as s3://bucket/dir")
