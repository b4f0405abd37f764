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
) -> dict[str, Any]:
    """Train and evaluate one model; return its record (status ``completed`` or ``failed``)."""
    from disentbench.inspection import trial_outputs
    from disentbench.metrics import evaluate
    from disentbench.models import TrainConfig, TrainingDiverged, train

    start = time.perf_counter()
    record = new_record(spec.to_dict(), spec.trial_id, spec.model_num, spec.study)
    record["device"] = device_name()
    record["resumed_from_step"] = resumed_from_step
    data = prepare_data(spec.dataset, data_root)
    record["data"] = dict(data.provenance)
    record["timings"]["data_seconds"] = time.perf_counter() - start

    config = TrainConfig(
        dataset=spec.dataset,
        method=spec.method,
        params=dict(spec.params),
        seed=spec.seed,
        steps=spec.steps,
        batch_size=spec.batch_size,
        eval_batches=spec.eval_batches,
        checkpoint_every=spec.checkpoint_every,
        num_threads=num_threads,
    )
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
    record["timings"]["train_seconds"] = time.perf_counter() - t0
    record["train_results"] = dict(model.training_stats)

    t1 = time.perf_counter()
    for representation in spec.representations:
        function = model.representation_function(representation, seed=postprocess_seed(spec, representation))
        record["scores"][representation] = dict(
            evaluate(
                data,
                function,
                preset=spec.preset,
                metrics=trial_outputs.representation_metrics(spec.metrics),
                representation=representation,
                seeds=evaluation_seeds(spec),
                sklearn_semantics=spec.sklearn_semantics,
                n_jobs=num_threads or 1,
            )
        )
    # Model scores (controllability): one fixed seed for every model, like the metrics' seeds.
    inspection_seed = 0 if spec.eval_seeds == "reference" else spec.seed
    model_scores = trial_outputs.model_scores(
        model, data, spec.metrics, seed=inspection_seed, data_root=data_root
    )
    for representation in spec.representations:
        record["scores"][representation].update(model_scores)
    if spec.save_traversals:
        record[trial_outputs.IMAGES_KEY] = trial_outputs.traversal_images(model, data)
    record["timings"]["eval_seconds"] = time.perf_counter() - t1
    record["timings"]["wall_seconds"] = time.perf_counter() - start
    record["status"] = "completed"
    return record


def checkpoint_step(checkpoint_dir: str | os.PathLike[str]) -> int | None:
    """The training step a checkpoint folder was written at (from the runner's marker file)."""
    import json

    marker = Path(checkpoint_dir) / PROGRESS_FILE
    try:
        return int(json.loads(marker.read_text())["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
