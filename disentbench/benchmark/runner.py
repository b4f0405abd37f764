"""The Ray Tune runner: one grid of trial specs, records written by the driver (docs/results.md).

Design:
- The grid is the study's trials minus those whose record already exists, so re-running a study
  (or ``disentbench resume``) skips finished trials and retrains nothing.
- Before anything starts: the results and records folders are proven writable, the grid is
  counted (``--max-trials``), the results folder is locked against a second run (``lock.py``)
  and one trial's resources are compared with the cluster's nodes (``resources.py``).
- Each trial reports its checkpoints through ``ray.tune.report(checkpoint=...)``; Tune persists
  them under the storage path (absolute; a shared file system or an object-store URI on a
  multi-node cluster). A trial whose worker dies is retried by ``FailureConfig``; a retried or
  resumed trial looks up its persisted checkpoints (this run's and earlier, interrupted runs',
  by trial id under the storage path) and resumes from the newest one that verifies
  (``checkpoints.py``), falling back to older ones or to step 0.
- Checkpoints of trials with a completed record are deleted at the end of the run unless
  ``keep_checkpoints``.
- With ``models_per_trial`` K > 1 the pending trials are grouped into packs of compatible models
  (``packs.py``); one Tune trial trains a pack as one computation (``trial.run_pack``) and sends
  one record per model. A pack's id is derived from its members, so a resumed run, which
  re-packs the models still without a record, resumes a pack's checkpoint only when the pack
  came out the same; otherwise that pack starts at step 0.
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
import math
import os
import re
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from disentbench.benchmark import ray_session
from disentbench.benchmark.checkpoints import delete_checkpoints, persisted_checkpoints, restore_newest_good
from disentbench.benchmark.lock import results_lock
from disentbench.benchmark.packs import Pack, group_into_packs
from disentbench.benchmark.resources import DEFAULT_RESOURCE_TIMEOUT, TrialRequest, check_cluster_fits
from disentbench.benchmark.study import MAX_MODELS_PER_TRIAL, Study, TrialSpec, check_trial_count
from disentbench.benchmark.trial import (
    checkpoint_progress,
    prepare_data,
    run_pack,
    run_trial,
    train_config,
    write_progress_marker,
)
from disentbench.benchmark.workdirs import clean_stale_workdirs, make_trial_workdir
from disentbench.errors import UserError
from disentbench.io import _json_default as json_default
from disentbench.io import check_writable_dir
from disentbench.results.ids import check_id
from disentbench.results.records import existing_records, new_record, records_dir, write_record

log = logging.getLogger(__name__)

#: Result key carrying the finished records, one per model (a JSON list as a string, so Tune's
#: loggers do not flatten it).
RECORDS_KEY = "disentbench_records"
#: Result key carrying one line of a trial's progress (``trial.run_trial``'s ``on_progress``).
PROGRESS_KEY = "disentbench_progress"
#: The console shows one progress line (the latest news of the running trial that has gone
#: longest without one) per interval: a tenth of the run's time so far, at least a minute and at
#: most ten, so a study's output stays short however slow the machine; every line goes to the
#: run's and the trial's log.
CONSOLE_PROGRESS_SECONDS = (60.0, 600.0)
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
    max_trials: int | None = None
    models_per_trial: int | None = None
    keep_checkpoints: bool = False
    resource_timeout: float = DEFAULT_RESOURCE_TIMEOUT
    #: ``--allow-stand-in``: train on rendered stand-ins even if the study refuses them.
    allow_stand_in: bool = False
    #: ``--datasets``: the subset of the study's data sets to run (applied by the CLI).
    datasets: list[str] | None = None


def check_options(options: RunOptions) -> None:
    """Reject flag values that could only fail later (``UserError`` naming the flag)."""
    for name, minimum in (("cpus_per_trial", None), ("gpus_per_trial", 0.0), ("resource_timeout", 0.0)):
        value = getattr(options, name)
        if value is None:
            continue
        ok = isinstance(value, (int, float)) and math.isfinite(value)
        ok = ok and (value > 0 if minimum is None else value >= minimum)
        if not ok:
            relation = "> 0" if minimum is None else "≥ 0"
            raise UserError(f"--{name.replace('_', '-')}: expected a finite number {relation}, got {value}")
    for name, minimum in (
        ("max_concurrent", 0),
        ("max_failures", 0),
        ("max_trials", 1),
        ("models_per_trial", 1),
    ):
        value = getattr(options, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
            raise UserError(f"--{name.replace('_', '-')}: expected an integer ≥ {minimum}, got {value}")
    if (options.models_per_trial or 0) > MAX_MODELS_PER_TRIAL:
        raise UserError(
            f"--models-per-trial: expected at most {MAX_MODELS_PER_TRIAL}, got {options.models_per_trial}"
        )
    if options.storage:
        check_storage(options.storage)


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
    for spec in study.iter_trials():
        record = records.get(spec.trial_id)
        if record is None or (retry_failed and record["status"] != "completed"):
            pending.append(spec)
    return pending


def tune_trainable(config: dict[str, Any]) -> None:
    """The Ray Tune function trainable: one trial (one model, or one pack of models).

    Checkpoints are reported to Tune as they are written; the finished records, one per model,
    are sent as the last result.
    """
    import ray
    from ray import tune

    config = config["trial"]
    specs = [TrialSpec.from_dict(data) for data in config["specs"]]
    trial_id = config["trial_id"]
    _log_to_stderr()
    clean_stale_workdirs()  # scratch folders of trials killed earlier on this node
    work = make_trial_workdir()
    try:
        checkpoint, _ = restore_newest_good(_checkpoint_candidates(config, trial_id), work, trial_id)
        resumed, before = checkpoint_progress(work) if checkpoint is not None else (None, None)
        if checkpoint is not None:
            log.info("trial %s resumes from step %s (%s)", trial_id, resumed, checkpoint.path)
        started = time.perf_counter()

        def on_checkpoint(step: int, directory: str) -> None:
            seconds = (before or 0.0) + time.perf_counter() - started
            write_progress_marker(directory, step, trial_id, train_seconds=seconds)
            tune.report({"step": step}, checkpoint=tune.Checkpoint.from_directory(directory))

        common = dict(
            checkpoint_dir=work,
            on_checkpoint=on_checkpoint,
            data_root=config.get("data_root"),
            num_threads=config.get("num_threads"),
            resumed_from_step=resumed,
            on_progress=lambda line: tune.report({PROGRESS_KEY: line}),
            resumed_train_seconds=before,
            allow_stand_in=bool(config.get("allow_stand_in", False)),
        )
        if config.get("pack"):
            records = run_pack(specs, pack_id=trial_id, **common)
        else:
            records = [run_trial(specs[0], **common)]
        node_id = ray.get_runtime_context().get_node_id()
        for record in records:
            record.update(run_id=config["run_id"], node_id=node_id)
        tune.report({"step": specs[0].steps, RECORDS_KEY: json.dumps(records, default=json_default)})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _log_to_stderr() -> None:
    """disentbench's INFO lines in a worker go to its stderr (Ray forwards it to the run's log)."""
    own = logging.getLogger("disentbench")
    if not any(getattr(h, "disentbench_worker", False) for h in own.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler.disentbench_worker = True  # type: ignore[attr-defined]
        own.addHandler(handler)
        own.setLevel(logging.INFO)


def _checkpoint_candidates(config: dict[str, Any], trial_id: str) -> list[Any]:
    """The trial's checkpoints, newest first: every persisted one (any run), then Tune's own.

    The newest persisted one comes first even on a retry: Ray copies a checkpoint to storage
    before the driver registers it, so a worker killed in between leaves one that
    ``tune.get_checkpoint()`` does not know yet.
    """
    from ray import tune

    storage = config.get("storage")
    paths = persisted_checkpoints(storage, {trial_id}).get(trial_id, []) if storage else []
    candidates = [tune.Checkpoint(path) for path in paths]
    seen = {path.split("://", 1)[-1].rstrip("/") for path in paths}
    current = tune.get_checkpoint()
    if current is not None and current.path.split("://", 1)[-1].rstrip("/") not in seen:
        candidates.append(current)
    return candidates


#: A line naming a Python exception: ``ModuleNotFoundError: ...``, ``ray.exceptions.RayTaskError(...)``.
_EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(Error|Exception|Diverged|Exit|Interrupt)\b[^\n]*)$")
#: Terminal colour codes Ray puts around actor names.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
#: How much of Ray's error text a record keeps (the start and the end of very long ones).
MAX_ERROR_CHARS = 20_000


def error_reason(text: str) -> tuple[str, str]:
    """``(summary, detail)`` of a trial's error text as Ray Tune stored it.

    Ray wraps a worker's exception in its own (``RayTaskError``, "An unexpected internal error
    occurred"), so the last line is often not the cause. The summary lists every distinct
    exception line, the cause included; the detail is the whole text (long ones keep both ends).
    """
    text = _ANSI_ESCAPE.sub("", text).strip()
    lines = [m.group(1).strip() for m in (_EXCEPTION_LINE.match(line) for line in text.splitlines()) if m]
    distinct = list(dict.fromkeys(lines))
    if distinct:
        summary = " | ".join(distinct[-5:])
    else:
        rest = [line.strip() for line in text.splitlines() if line.strip()]
        summary = rest[-1] if rest else "the trial failed without an error message"
    if len(text) > MAX_ERROR_CHARS:
        half = MAX_ERROR_CHARS // 2
        text = f"{text[:half]}\n... [{len(text) - 2 * half} characters left out] ...\n{text[-half:]}"
    return summary, text


def _error_text(trial: Any) -> tuple[str, str]:
    """The error Tune stored for ``trial``, as :func:`error_reason`'s summary and detail."""
    text = ""
    try:
        if trial.error_file and os.path.exists(trial.error_file):
            text = Path(trial.error_file).read_text(errors="replace")
    except OSError:
        pass
    return error_reason(text)


def _make_record_writer(
    results: str, members: dict[str, list[TrialSpec]], packed: set[str], run_id: str, total: int
) -> Any:
    """A Tune callback that writes records on the driver and logs progress.

    ``members`` maps each Tune trial to the models it trains (one, or a pack's); ``packed`` holds
    the Tune trials that are packs (their records carry ``pack``). ``total`` counts models.
    """
    from ray import tune

    class RecordWriter(tune.Callback):
        def __init__(self) -> None:
            self.started: dict[str, float] = {}
            self.completed = 0
            self.failed = 0
            self.last_progress: dict[str, float] = {}  # when each trial was last on the console
            self.unseen: dict[str, str] = {}  # each running trial's latest line not on the console
            self.last_console = self.run_started = time.perf_counter()
            self.recorded: set[str] = set()  # model trial ids

        def _elapsed(self, trial_id: str) -> float:
            return time.perf_counter() - self.started.get(trial_id, time.perf_counter())

        def _line(self) -> str:
            return f"[{self.completed + self.failed}/{total} done, {self.failed} failed]"

        def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            trial_id = trial.config["trial"]["trial_id"]
            self.started.setdefault(trial_id, time.perf_counter())
            size = len(members[trial_id])
            log.info(
                "%s start %s%s",
                self._line(),
                trial_id,
                f" ({size} models)" if trial_id in packed else "",
                extra={"trial_id": trial_id},
            )

        def _write(self, record: dict[str, Any], trial_id: str) -> None:
            record["timings"]["driver_wall_seconds"] = self._elapsed(trial_id)
            write_record(results, record)
            self.recorded.add(record["trial_id"])
            if record["status"] == "completed":
                self.completed += 1
                log.info(
                    "%s completed %s in %.1f s",
                    self._line(),
                    record["trial_id"],
                    record["timings"]["wall_seconds"],
                    extra={"trial_id": trial_id},
                )
            else:
                self.failed += 1
                log.warning(
                    "%s FAILED %s: %s",
                    self._line(),
                    record["trial_id"],
                    record["error"],
                    extra={"trial_id": trial_id},
                )

        def on_trial_result(
            self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
        ) -> None:
            trial_id = trial.config["trial"]["trial_id"]
            if RECORDS_KEY not in result:
                if PROGRESS_KEY not in result:
                    return  # a checkpoint's report: its progress line follows
                # Every line goes to the logs; the console gets one line per interval: the latest
                # news of the trial that has waited longest for one.
                line = result[PROGRESS_KEY]
                log.debug("%s %s %s", self._line(), trial_id, line, extra={"trial_id": trial_id})
                self.unseen[trial_id] = line
                now = time.perf_counter()
                shortest, longest = CONSOLE_PROGRESS_SECONDS
                interval = min(max((now - self.run_started) / 10, shortest), longest)
                if now - self.last_console >= interval:
                    chosen = min(self.unseen, key=lambda t: self.last_progress.get(t, 0.0))
                    self.last_progress[chosen] = self.last_console = now
                    log.info("%s %s %s", self._line(), chosen, self.unseen.pop(chosen))
                return
            self.unseen.pop(trial_id, None)
            self.last_progress.pop(trial_id, None)
            for record in json.loads(result[RECORDS_KEY]):
                self._write(record, trial_id)

        def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            log.warning(
                "%s retrying %s after: %s",
                self._line(),
                trial.config["trial"]["trial_id"],
                _error_text(trial)[0],
            )

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            trial_id = trial.config["trial"]["trial_id"]
            self.unseen.pop(trial_id, None)
            missing = [spec for spec in members[trial_id] if spec.trial_id not in self.recorded]
            if not missing:  # it failed after sending its records: keep them
                log.warning(
                    "%s %s errored after its records: %s", self._line(), trial_id, _error_text(trial)[0]
                )
                return
            error, detail = _error_text(trial)
            for spec in missing:
                record = new_record(spec.to_dict(), spec.trial_id, spec.model_num, spec.study)
                record["error"], record["error_detail"] = error, detail
                record["run_id"] = run_id
                record["device"] = record["host"] = None  # the driver does not know where it ran
                if trial_id in packed:
                    index = members[trial_id].index(spec)
                    record["pack"] = {"id": trial_id, "size": len(members[trial_id]), "index": index}
                self._write(record, trial_id)

    return RecordWriter()


def check_data(names: tuple[str, ...], data_root: str | None, allow_stand_in: bool, study_name: str) -> None:
    """Refuse to start when data is missing or (under ``stand_in: refuse``) not official.

    One ``UserError`` lists every problem, each naming the file, its expected path under the data
    root and the download command; it runs on the driver before Ray starts.
    """
    from disentbench.datasets.availability import problems

    found = [p for name in names for p in problems(name, data_root, allow_stand_in=allow_stand_in)]
    if not found:
        return
    unique = list(dict.fromkeys(p.message for p in found))
    lines = [f"study {study_name} cannot start: the data it needs is not available."]
    lines += [f"  - {message}" for message in unique]
    if any(p.stand_in_would_help for p in found):
        lines.append(
            "  The study refuses rendered stand-ins (data: {stand_in: refuse}); pass --allow-stand-in "
            "to train on them anyway (records and reports label them as stand-ins)."
        )
    usable = [name for name in names if not any(p.dataset == name for p in found)]
    if usable:
        lines.append(f"  To run only the data sets that are available: --datasets {','.join(usable)}")
    raise UserError("\n".join(lines))


def study_packs(specs: list[TrialSpec], models_per_trial: int) -> list[Pack]:
    """``specs`` grouped into packs of compatible models (``disentbench.models.pack_key``)."""
    from disentbench.models import pack_key

    return group_into_packs(specs, models_per_trial, lambda spec: pack_key(train_config(spec, None)))


def prepare_datasets(names: tuple[str, ...], data_root: str | None, allow_stand_in: bool = True) -> None:
    """Prepare each data set on the driver's machine before trials start (embedded Ray).

    The one render of a missing data set then happens once, in the driver, with its log line in
    the driver's output, instead of inside the first trial. A data set that cannot be prepared is
    only logged here: its trials fail and are recorded with the reason.
    """
    for name in names:
        try:
            prepare_data(name, data_root, allow_stand_in)
        except UserError as exc:
            log.warning("data set %s is not available (%s); its trials will fail", name, exc)
        except OSError as exc:  # a read-only or full data root: every trial of it would fail
            where = data_root or "the default data folder"
            raise UserError(
                f"cannot prepare data set {name} in {where}: {exc.strerror or exc} "
                f"({exc.filename or where}); give a writable --data-root or prepare the data there first"
            ) from None


def run_study(
    study: Study,
    results: str | os.PathLike[str],
    options: RunOptions | None = None,
    *,
    trainable: Callable[[dict[str, Any]], None] | None = None,
) -> RunSummary:
    """Run every pending trial of ``study`` on Ray Tune; records land in ``results/records``.

    Everything a user can get wrong is checked before Ray starts (``UserError``, exit 2): the
    options, the grid's size, a results or records folder that is a file or not writable, a
    results folder another run holds, and (once Ray is up) a trial no node can fit.
    """
    options = options or RunOptions()
    check_options(options)
    results = os.path.abspath(os.fspath(results))
    check_trial_count(study, options.max_trials)
    check_writable_dir(results, "results directory")
    check_writable_dir(records_dir(results), "records directory")
    with results_lock(results):
        return _run_locked(study, results, options, trainable)


def trial_request(study: Study, options: RunOptions) -> TrialRequest:
    """One trial's resources, each value from its flag when given, else from the study file."""
    resources = study.resources
    in_study = f"resources.%s in {study.path}"
    return TrialRequest(
        cpus=resources.cpus_per_trial if options.cpus_per_trial is None else options.cpus_per_trial,
        gpus=resources.gpus_per_trial if options.gpus_per_trial is None else options.gpus_per_trial,
        cpus_source=in_study % "cpus_per_trial" if options.cpus_per_trial is None else "--cpus-per-trial",
        gpus_source=in_study % "gpus_per_trial" if options.gpus_per_trial is None else "--gpus-per-trial",
    )


def _run_locked(
    study: Study, results: str, options: RunOptions, trainable: Callable[[dict[str, Any]], None] | None
) -> RunSummary:
    all_specs = study.trials()
    pending = pending_trials(study, results, retry_failed=options.retry_failed)
    skipped = len(all_specs) - len(pending)
    clean_stale_workdirs()
    if skipped:
        log.info(
            "%d of %d trials already have records in %s; skipping them", skipped, len(all_specs), results
        )
    storage = options.storage or os.path.join(results, STORAGE_DIR)
    if "://" not in storage:
        storage = os.path.abspath(storage)
    if not pending:
        _drop_finished_checkpoints(study, results, storage, options)
        return summarize(study, results)
    allow_stand_in = options.allow_stand_in or study.stand_in == "allow"
    data_root = options.data_root or os.environ.get("DISENTBENCH_DATA")
    if not options.address:  # on a cluster the nodes' data roots are checked by each trial
        pending_datasets = tuple(dict.fromkeys(spec.dataset for spec in pending))
        check_data(pending_datasets, data_root, allow_stand_in, study.name)

    from ray import tune

    resources = study.resources
    request = trial_request(study, options)
    cpus, gpus = request.cpus, request.gpus
    max_concurrent = (
        options.max_concurrent if options.max_concurrent is not None else resources.max_concurrent
    )
    max_failures = options.max_failures if options.max_failures is not None else resources.max_failures
    models_per_trial = options.models_per_trial or resources.models_per_trial

    if not options.address:  # before Ray starts, so a render's progress bar stays on the console
        prepare_datasets(study.datasets, data_root, allow_stand_in)
    started_ray = ray_session.start(options.address)
    try:
        check_cluster_fits(request, timeout=options.resource_timeout)
        run_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
        if models_per_trial > 1:
            packs = study_packs(pending, models_per_trial)
            members = {pack.pack_id: list(pack.specs) for pack in packs}
        else:
            members = {spec.trial_id: [spec] for spec in pending}
        packed = set(members) if models_per_trial > 1 else set()
        resume = persisted_checkpoints(storage, set(members))
        if resume:
            log.info("%d trial(s) resume from checkpoints of an earlier run", len(resume))
        configs = [
            {
                "trial_id": trial_id,
                "specs": [spec.to_dict() for spec in specs],
                "pack": trial_id in packed,
                "storage": storage,
                "data_root": data_root,
                "allow_stand_in": allow_stand_in,
                "num_threads": max(1, int(cpus)),
                "run_id": run_id,
            }
            for trial_id, specs in members.items()
        ]
        log.info(
            "running %d model(s) of study %s in %d trial(s) (%s cpu, %s gpu per trial); records -> %s",
            len(pending),
            study.name,
            len(configs),
            cpus,
            gpus,
            os.path.join(results, "records"),
        )
        tuner = tune.Tuner(
            tune.with_resources(trainable or tune_trainable, {"cpu": cpus, "gpu": gpus}),
            param_space={"trial": tune.grid_search(configs)},
            tune_config=tune.TuneConfig(
                max_concurrent_trials=max_concurrent or None,  # 0: no limit
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
                # Two kept: when the newest is damaged (killed mid-copy) the older one resumes.
                checkpoint_config=tune.CheckpointConfig(num_to_keep=2),
                callbacks=[_make_record_writer(results, members, packed, run_id, len(pending))],
                verbose=0,
            ),
        )
        tuner.fit()
    finally:
        if started_ray:
            ray_session.stop()
    _drop_finished_checkpoints(study, results, storage, options, packed={k: members[k] for k in packed})
    return summarize(study, results, ran=len(pending))


def _drop_finished_checkpoints(
    study: Study,
    results: str,
    storage: str,
    options: RunOptions,
    packed: dict[str, list[TrialSpec]] | None = None,
) -> None:
    """Delete the persisted checkpoints of trials with a completed record (unless kept).

    A pack's checkpoints (``packed``: this run's packs) go once every member has a record.
    """
    if options.keep_checkpoints:
        return
    records = existing_records(results)
    finished_packs = {
        pack_id for pack_id, specs in (packed or {}).items() if all(s.trial_id in records for s in specs)
    }
    done = {
        spec.trial_id
        for spec in study.iter_trials()
        if records.get(spec.trial_id, {}).get("status") == "completed"
    }
    done |= finished_packs
    deleted = delete_checkpoints(storage, done) if done else 0
    if deleted:
        log.info("deleted %d checkpoint(s) of finished trials (--keep-checkpoints keeps them)", deleted)


def summarize(study: Study, results: str | os.PathLike[str], ran: int = 0) -> RunSummary:
    """Counts of the study's trials by the records present in ``results``."""
    records = existing_records(results)
    statuses = [records[spec.trial_id]["status"] for spec in study.iter_trials() if spec.trial_id in records]
    total = study.trial_count()
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
