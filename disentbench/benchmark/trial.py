"""One trial: prepare data, train (resumable), evaluate every representation, build the record.

This module knows nothing about Ray: :func:`run_trial` takes a checkpoint folder and a callback,
so the Ray runner (``runner.py``) can route checkpoints through Ray Tune and tests can call it
directly. What a trial does (issue 5 §2):

1. ``datasets.prepare`` the data set once per node (rendering the offline stand-in if no file is
   present); a node-local file lock keeps concurrent trials from rendering it twice.
2. ``models.train`` with ``checkpoint_dir``: if the folder holds a checkpoint, training resumes.
3. For each representation (mean, sampled) run ``metrics.evaluate`` with the study's preset,
   metric list, evaluation-seed policy and scikit-learn semantics.
4. Return the record (``results.records``); the caller writes it.

A ``TrainingDiverged`` becomes a failed record with the reason (retrying would diverge again);
any other exception propagates so that Ray Tune retries the trial from its last checkpoint.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from disentbench.benchmark.study import TrialSpec
from disentbench.results.records import new_record

log = logging.getLogger(__name__)

#: Seeds of the post-processing step in ``dlib_reproduce`` (study.md §3.2): they fix the noise of
#: the sampled representation. ``per_model`` derives them from the training seed instead.
REFERENCE_POSTPROCESS_SEEDS = {"mean": 2357136044, "sampled": 2546248239}

OnCheckpoint = Callable[[int, str], None]

#: Marker the runner writes beside each checkpoint so a resumed trial knows its step.
PROGRESS_FILE = "disentbench_progress.json"


def postprocess_seed(spec: TrialSpec, representation: str) -> int:
    """The seed of the representation function's noise under the study's evaluation-seed policy."""
    if spec.eval_seeds == "reference":
        return REFERENCE_POSTPROCESS_SEEDS[representation]
    draws = np.random.RandomState(spec.seed).randint(2**32, size=2)
    return int(draws[("mean", "sampled").index(representation)])


def evaluation_seeds(spec: TrialSpec) -> str | int:
    """``metrics.evaluate``'s ``seeds``: the reference's fixed per-metric seeds, or the model's seed."""
    return "reference" if spec.eval_seeds == "reference" else spec.seed


@contextlib.contextmanager
def node_lock(name: str) -> Iterator[None]:
    """An exclusive lock shared by every process of this machine (not across machines)."""
    path = Path(tempfile.gettempdir()) / f"disentbench-{name}.lock"
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def prepare_data(dataset: str, data_root: str | None) -> Any:
    """The data set, prepared at most once per node (issue 5 §5, §6)."""
    from disentbench.datasets import prepare

    with node_lock(f"prepare-{dataset}"):
        return prepare(dataset, root=data_root, render_if_missing=True)


def device_name() -> str:
    """The device training will use (``TrainConfig.device="auto"``), named as the trainer names it."""
    import torch

    if torch.cuda.is_available():
        return f"cuda:{torch.cuda.get_device_name(0)}"
    return "cpu"


def run_trial(
    spec: TrialSpec,
    *,
    checkpoint_dir: str,
    on_checkpoint: OnCheckpoint | None = None,
    data_root: str | None = None,
    num_threads: int | None = None,
    resumed_from_step: int | None = None,
    resumed_train_seconds: float | None = None,
) -> dict[str, Any]:
    """Train and evaluate one model; return its record (status ``completed`` or ``failed``).

    ``resumed_train_seconds`` is the training time spent before the checkpoint it resumes from,
    so the record's ``train_seconds`` is the model's whole training time and
    ``train_seconds_segment`` this run's part.
    """
    from disentbench.models import TrainingDiverged, train

    start = time.perf_counter()
    record = new_record(spec.to_dict(), spec.trial_id, spec.model_num, spec.study)
    record["device"] = device_name()
    record["resumed_from_step"] = resumed_from_step
    data = prepare_data(spec.dataset, data_root)
    record["data"] = dict(data.provenance)
    record["timings"]["data_seconds"] = time.perf_counter() - start

    config = train_config(spec, num_threads)
    record["train_config"] = config.to_dict()
    t0 = time.perf_counter()
    try:
        model = train(config, data, checkpoint_dir=checkpoint_dir, on_checkpoint=on_checkpoint)
    except TrainingDiverged as exc:
        record["error"] = f"TrainingDiverged: {exc}"
        record["timings"].update(
            train_seconds=time.perf_counter() - t0, wall_seconds=time.perf_counter() - start
        )
        log.warning("trial %s diverged: %s", spec.trial_id, exc)
        return record
    record["timings"].update(training_timings(time.perf_counter() - t0, resumed_train_seconds, spec.steps))
    record["train_results"] = resumed_train_results(model.training_stats, resumed_from_step, spec.batch_size)

    t1 = time.perf_counter()
    record["scores"] = score_model(spec, model, data, n_jobs=num_threads or 1)
    record["timings"]["eval_seconds"] = time.perf_counter() - t1
    record["timings"]["wall_seconds"] = time.perf_counter() - start
    record["status"] = "completed"
    return record


def train_config(spec: TrialSpec, num_threads: int | None) -> Any:
    """The ``TrainConfig`` of a trial spec."""
    from disentbench.models import TrainConfig

    return TrainConfig(
        dataset=spec.dataset,
        method=spec.method,
        params=dict(spec.params),
        seed=spec.seed,
        steps=spec.steps,
        batch_size=spec.batch_size,
        eval_batches=spec.eval_batches,
        checkpoint_every=spec.checkpoint_every,
        num_threads=num_threads,
        precision=spec.precision,
    )


def score_model(
    spec: TrialSpec, model: Any, data: Any, *, n_jobs: int = 1, encode_batch: int = 64
) -> dict[str, dict[str, Any]]:
    """Every score of one trained model, per representation (``metrics.evaluate``).

    ``encode_batch`` is the encoder's batch size; the default 64 is the one a solo trial uses.
    """
    from disentbench.metrics import evaluate

    scores = {}
    for representation in spec.representations:
        function = model.representation_function(
            representation, seed=postprocess_seed(spec, representation), batch_size=encode_batch
        )
        scores[representation] = dict(
            evaluate(
                data,
                function,
                preset=spec.preset,
                metrics=list(spec.metrics) if spec.metrics is not None else None,
                representation=representation,
                seeds=evaluation_seeds(spec),
                sklearn_semantics=spec.sklearn_semantics,
                n_jobs=n_jobs,
            )
        )
    return scores


#: Encoder batch size when a pack's models are scored on an accelerator (one pass per batch).
DEVICE_ENCODE_BATCH = 2048


def run_pack(
    specs: list[TrialSpec],
    *,
    pack_id: str,
    checkpoint_dir: str,
    on_checkpoint: OnCheckpoint | None = None,
    data_root: str | None = None,
    num_threads: int | None = None,
    resumed_from_step: int | None = None,
    resumed_train_seconds: float | None = None,
) -> list[dict[str, Any]]:
    """Train a pack of compatible models as one computation, then score each; one record per model.

    Every record carries ``pack = {id, size, index}``. A member that diverged is recorded failed
    with its reason while the others complete. Scoring runs the models in parallel on a thread
    pool sized by ``num_threads`` (the trial's CPUs): the encoder passes run on the trial's device
    (in batches of :data:`DEVICE_ENCODE_BATCH` on an accelerator) while scikit-learn fits of other
    models proceed on the CPUs, so the device does not wait for the scoring of one model at a
    time.
    """
    from concurrent.futures import ThreadPoolExecutor

    from disentbench.models import train_pack

    start = time.perf_counter()
    data = prepare_data(specs[0].dataset, data_root)
    data_seconds = time.perf_counter() - start
    configs = [train_config(spec, num_threads) for spec in specs]
    t0 = time.perf_counter()
    members = train_pack(
        configs,
        data,
        checkpoint_dir=checkpoint_dir,
        checkpoint_every=specs[0].checkpoint_every,
        on_checkpoint=on_checkpoint,
    )
    timings = training_timings(time.perf_counter() - t0, resumed_train_seconds, specs[0].steps)
    device = device_name()
    records = []
    for member in members:
        spec = specs[member.index]
        record = new_record(spec.to_dict(), spec.trial_id, spec.model_num, spec.study)
        record.update(device=device, resumed_from_step=resumed_from_step, data=dict(data.provenance))
        record["pack"] = {"id": pack_id, "size": len(specs), "index": member.index}
        record["train_config"] = member.config.to_dict()
        # The pack trains as one computation: its time is shared by every member.
        record["timings"].update(timings, data_seconds=data_seconds, train_seconds_shared_by=len(specs))
        if member.failure is not None:
            record["error"] = f"TrainingDiverged: {member.failure}"
            log.warning("trial %s (pack %s) diverged: %s", spec.trial_id, pack_id, member.failure)
        else:
            stats = resumed_train_results(member.model.training_stats, resumed_from_step, spec.batch_size)
            record["train_results"] = stats
        records.append(record)

    scored = [
        (record, specs[m.index], m.model) for record, m in zip(records, members, strict=True) if m.model
    ]
    workers = max(1, min(len(scored), num_threads or 1))
    encode_batch = 64 if device == "cpu" else DEVICE_ENCODE_BATCH

    def score(item: tuple[dict[str, Any], TrialSpec, Any]) -> None:
        record, spec, model = item
        t1 = time.perf_counter()
        record["scores"] = score_model(spec, model, data, encode_batch=encode_batch)
        record["timings"]["eval_seconds"] = time.perf_counter() - t1
        record["status"] = "completed"

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="disentbench-score") as pool:
        list(pool.map(score, scored))
    for record in records:
        record["timings"]["wall_seconds"] = time.perf_counter() - start
    return records


def checkpoint_progress(checkpoint_dir: str | os.PathLike[str]) -> tuple[int | None, float | None]:
    """``(step, training seconds so far)`` of a checkpoint folder, from the runner's marker file."""
    import json

    marker = Path(checkpoint_dir) / PROGRESS_FILE
    try:
        info = json.loads(marker.read_text())
        step = int(info["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, None
    seconds = info.get("train_seconds")
    return step, float(seconds) if isinstance(seconds, (int, float)) else None


def training_timings(segment: float, before: float | None, steps: int) -> dict[str, float]:
    """The record's training times: total over every segment, this run's segment, steps per second."""
    total = segment + (before or 0.0)
    return {
        "train_seconds": total,
        "train_seconds_segment": segment,
        "steps_per_second": steps / total if total > 0 else None,
    }


def resumed_train_results(
    stats: dict[str, Any], resumed_from_step: int | None, batch_size: int
) -> dict[str, Any]:
    """The trainer's statistics, with the rates of a resumed run taken over the whole training.

    The trainer's ``train_seconds`` accumulates across checkpoints while its rates count only the
    resumed segment's steps (null when it resumed at the last step); the record states the rates
    of the whole run.
    """
    out = dict(stats)
    seconds, iterations = out.get("train_seconds"), out.get("iterations")
    if resumed_from_step is not None and seconds and iterations:
        out["steps_per_second"] = iterations / seconds
        out["images_per_second"] = iterations * batch_size / seconds
    return out
