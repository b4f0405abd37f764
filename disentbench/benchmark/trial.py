"""One trial: prepare data, train (resumable), evaluate every representation, build the record.

This module knows nothing about Ray: :func:`run_trial` takes a checkpoint folder and a callback,
so the Ray runner (``runner.py``) can route checkpoints through Ray Tune and tests can call it
directly. What a trial does (docs/results.md):

1. ``datasets.prepare`` the data set once per node (rendering the offline stand-in if no file is
   present and the study allows stand-ins); a node-local file lock keeps concurrent trials from
   rendering it twice.
2. ``models.train`` with ``checkpoint_dir``: if the folder holds a checkpoint, training resumes.
3. For each representation (mean, sampled) run ``metrics.evaluate`` with the study's preset,
   metric list, evaluation-seed policy and scikit-learn semantics.
4. Return the record (``results.records``); the caller writes it.

A ``TrainingDiverged`` or a broken method plugin (``PluginError``) becomes a failed record with
the reason (retrying would fail again);
any other exception propagates so that Ray Tune retries the trial from its last checkpoint.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from disentbench.benchmark.study import TrialSpec
from disentbench.datasets.cache import locked
from disentbench.results.ids import check_id
from disentbench.results.records import new_record
from disentbench.seeds import REFERENCE_POSTPROCESS_SEEDS, postprocess_seeds

log = logging.getLogger(__name__)

OnCheckpoint = Callable[[int, str], None]
#: Receives one line of the trial's progress (training iterations, each score, encoder blocks).
OnProgress = Callable[[str], None]

#: Marker the runner writes beside each checkpoint so a resumed trial knows its step; it lists
#: the checkpoint's files and sizes, so a copy cut short (a worker killed while Ray persists
#: it) is recognised as incomplete.
PROGRESS_FILE = "disentbench_progress.json"

#: At most one "encoded so far" line per score this often (seconds); score starts and ends, and
#: training checkpoints, are always reported.
BLOCK_PROGRESS_SECONDS = 10.0


def postprocess_seed(spec: TrialSpec, representation: str) -> int:
    """The seed of the representation function's noise under the study's evaluation-seed policy."""
    if spec.eval_seeds == "reference":
        return REFERENCE_POSTPROCESS_SEEDS[representation]
    return postprocess_seeds(spec.seed)[representation]


def evaluation_seeds(spec: TrialSpec) -> str | int:
    """``metrics.evaluate``'s ``seeds``: the reference's fixed per-metric seeds, or the model's seed."""
    return "reference" if spec.eval_seeds == "reference" else spec.seed


def prepare_data(dataset: str, data_root: str | None, allow_stand_in: bool = True) -> Any:
    """The data set, prepared at most once per node (docs/results.md).

    ``allow_stand_in`` (the study's ``data.stand_in`` or ``--allow-stand-in``): render a missing
    dSprites/Shapes3D file; without it only official files are used, and a missing or rendered
    file raises ``DataFileError`` naming it (``datasets.availability``).
    """
    from disentbench.datasets import prepare
    from disentbench.datasets.availability import require_official

    lock = Path(tempfile.gettempdir()) / f"disentbench-prepare-{check_id(dataset, 'dataset')}.lock"
    with locked(lock):
        if not allow_stand_in:
            require_official(dataset, data_root)
        return prepare(dataset, root=data_root, render_if_missing=allow_stand_in)


def run_trial(
    spec: TrialSpec,
    *,
    checkpoint_dir: str,
    on_checkpoint: OnCheckpoint | None = None,
    data_root: str | None = None,
    num_threads: int | None = None,
    resumed_from_step: int | None = None,
    on_progress: OnProgress | None = None,
    resumed_train_seconds: float | None = None,
    allow_stand_in: bool = True,
) -> dict[str, Any]:
    """Train and evaluate one model; return its record (status ``completed`` or ``failed``).

    ``on_progress`` receives the trial's progress as lines: each checkpoint's iteration out of
    the iterations actually run (FactorVAE's halved count, docs/reference/models.md §2.9), and
    each score's start, blocks of encoded observations and end. ``resumed_train_seconds`` is the
    training time spent before the checkpoint it resumes from, so the record's ``train_seconds``
    is the model's whole training time and ``train_seconds_segment`` this run's part.
    """
    from disentbench.inspection import trial_outputs
    from disentbench.models import TrainingDiverged, train
    from disentbench.models.plugins import PluginError
    from disentbench.models.trainer import device_name, resolve_device

    start = time.perf_counter()
    record = new_record(spec.to_dict(), spec.trial_id, spec.model_num, spec.study)
    record["device"] = device_name(resolve_device("auto"))  # the device TrainConfig's "auto" picks
    record["resumed_from_step"] = resumed_from_step
    data = prepare_data(spec.dataset, data_root, allow_stand_in)
    record["data"] = dict(data.provenance)
    record["timings"]["data_seconds"] = time.perf_counter() - start

    say = on_progress or (lambda line: log.info("trial %s: %s", spec.trial_id, line))
    t0 = time.perf_counter()
    try:
        config = train_config(spec, num_threads)
        record["train_config"] = config.to_dict()
        iterations = config.num_iterations

        def checkpointed(step: int, directory: str) -> None:
            if on_checkpoint is not None:
                on_checkpoint(step, directory)
            line = f"training: iteration {step}/{iterations}"
            if step == iterations and config.eval_batches:
                line += f"; training-time scores over {config.eval_batches} batches"
            say(line)

        model = train(config, data, checkpoint_dir=checkpoint_dir, on_checkpoint=checkpointed)
    except (TrainingDiverged, PluginError) as exc:
        # Neither goes away on a retry: a broken method plugin fails the same way every time.
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["timings"].update(
            train_seconds=time.perf_counter() - t0, wall_seconds=time.perf_counter() - start
        )
        log.warning("trial %s failed: %s", spec.trial_id, exc)
        return record
    record["timings"].update(training_timings(time.perf_counter() - t0, resumed_train_seconds, spec.steps))
    record["train_results"] = resumed_train_results(model.training_stats, resumed_from_step, spec.batch_size)

    t1 = time.perf_counter()
    record["scores"] = score_model(spec, model, data, n_jobs=num_threads or 1, say=say, data_root=data_root)
    if spec.save_traversals:
        record[trial_outputs.IMAGES_KEY] = trial_outputs.traversal_images(model, data)
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
        convolutions=spec.convolutions,
        torch_compile=spec.torch_compile,
    )


def score_model(
    spec: TrialSpec,
    model: Any,
    data: Any,
    *,
    n_jobs: int = 1,
    encode_batch: int = 64,
    say: OnProgress | None = None,
    data_root: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Every score of one trained model, per representation (``metrics.evaluate``).

    ``encode_batch`` is the encoder's batch size; the default 64 is the one a solo trial uses.
    ``say`` receives progress lines (each score's start, encoded blocks and end). Scores of the
    model itself (``controllability``, docs/inspection.md) are added to every representation.
    """
    from disentbench.inspection import trial_outputs
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
                metrics=trial_outputs.representation_metrics(spec.metrics),
                representation=representation,
                seeds=evaluation_seeds(spec),
                sklearn_semantics=spec.sklearn_semantics,
                n_jobs=n_jobs,
                progress=evaluation_progress(representation, say) if say is not None else None,
            )
        )
    # Model scores (controllability): one fixed seed for every model, like the metrics' seeds.
    inspection_seed = 0 if spec.eval_seeds == "reference" else spec.seed
    model_scores = trial_outputs.model_scores(
        model, data, spec.metrics, seed=inspection_seed, data_root=data_root
    )
    for representation in spec.representations:
        scores[representation].update(model_scores)
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
    on_progress: OnProgress | None = None,
    allow_stand_in: bool = True,
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

    from disentbench.inspection import trial_outputs
    from disentbench.models import train_pack
    from disentbench.models.trainer import device_name, resolve_device

    say = on_progress or (lambda line: log.info("pack %s: %s", pack_id, line))
    start = time.perf_counter()
    data = prepare_data(specs[0].dataset, data_root, allow_stand_in)
    data_seconds = time.perf_counter() - start
    configs = [train_config(spec, num_threads) for spec in specs]
    iterations = configs[0].num_iterations

    def checkpointed(step: int, directory: str) -> None:
        if on_checkpoint is not None:
            on_checkpoint(step, directory)
        say(f"training {len(specs)} models: iteration {step}/{iterations}")

    t0 = time.perf_counter()
    members = train_pack(
        configs,
        data,
        checkpoint_dir=checkpoint_dir,
        checkpoint_every=specs[0].checkpoint_every,
        on_checkpoint=checkpointed,
    )
    timings = training_timings(time.perf_counter() - t0, resumed_train_seconds, specs[0].steps)
    device = device_name(resolve_device("auto"))
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
        record["scores"] = score_model(
            spec, model, data, encode_batch=encode_batch, say=say, data_root=data_root
        )
        if spec.save_traversals:
            record[trial_outputs.IMAGES_KEY] = trial_outputs.traversal_images(model, data)
        record["timings"]["eval_seconds"] = time.perf_counter() - t1
        record["status"] = "completed"

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="disentbench-score") as pool:
        list(pool.map(score, scored))
    for record in records:
        record["timings"]["wall_seconds"] = time.perf_counter() - start
    return records


def evaluation_progress(representation: str, say: OnProgress) -> Callable[[Any], None]:
    """A ``metrics.evaluate`` progress callback that speaks in lines through ``say``."""
    last_block = [0.0]

    def report(event: Any) -> None:
        where = f"evaluating {representation}: {event.metric} ({event.index}/{event.total})"
        if event.event == "start":
            last_block[0] = time.perf_counter()
            say(where)
        elif event.event == "done":
            say(f"{where} done in {event.seconds:.1f} s")
        elif time.perf_counter() - last_block[0] >= BLOCK_PROGRESS_SECONDS:
            last_block[0] = time.perf_counter()
            say(f"{where}, {event.encoded:,} observations encoded")

    return report


def write_progress_marker(
    directory: str | os.PathLike[str], step: int, trial_id: str, train_seconds: float | None = None
) -> None:
    """Write :data:`PROGRESS_FILE` into a checkpoint folder: its step, the training seconds so far
    and the files it holds."""
    from disentbench.io import write_json_atomic

    folder = Path(directory)
    files = {
        path.relative_to(folder).as_posix(): path.stat().st_size
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != PROGRESS_FILE and not path.name.endswith(".part")
    }
    marker = {
        "step": step,
        "trial_id": trial_id,
        "pid": os.getpid(),
        "train_seconds": train_seconds,
        "files": files,
    }
    write_json_atomic(folder / PROGRESS_FILE, marker)


def checkpoint_step(checkpoint_dir: str | os.PathLike[str], trial_id: str | None = None) -> int | None:
    """The training step a complete checkpoint folder was written at, else None.

    Complete: its marker parses, names ``trial_id`` (when given), and every file the marker
    lists is present with its size.
    """
    import json

    folder = Path(checkpoint_dir)
    try:
        marker = json.loads((folder / PROGRESS_FILE).read_text())
        step = int(marker["step"])
        if trial_id is not None and marker.get("trial_id") != trial_id:
            return None
        for name, size in marker.get("files", {}).items():
            if (folder / name).stat().st_size != size:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return step


def checkpoint_progress(checkpoint_dir: str | os.PathLike[str]) -> tuple[int | None, float | None]:
    """``(step, training seconds so far)`` of a complete checkpoint folder, from its marker."""
    import json

    step = checkpoint_step(checkpoint_dir)
    if step is None:
        return None, None
    try:
        seconds = json.loads((Path(checkpoint_dir) / PROGRESS_FILE).read_text()).get("train_seconds")
    except (OSError, ValueError, AttributeError):
        seconds = None
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
