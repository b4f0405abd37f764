"""``disentbench run | resume | status | export`` (docs/results.md).

``run`` keeps a copy of the study file and of its flags in the results directory, so
``disentbench resume RESULTS`` can continue an interrupted study with nothing else given.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from disentbench.benchmark.study import DEFAULT_MAX_TRIALS
from disentbench.errors import UserError

log = logging.getLogger(__name__)

STUDY_COPY = "study.yaml"
OPTIONS_COPY = "run_options.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the study commands to the top-level parser."""
    run = subparsers.add_parser(
        "run",
        help="run a study on Ray Tune (embedded local Ray, or a cluster with --address)",
        description="Run every trial of a study file that has no record yet in the results directory.",
    )
    run.add_argument("study", help="study file (YAML), e.g. configs/smoke.yaml")
    run.add_argument("--results", help="results directory (default: results/<study name>)")
    _add_run_flags(run)
    run.add_argument("--dry-run", action="store_true", help="print the trials and their count; run nothing")
    run.set_defaults(handler=_cmd_run)

    resume = subparsers.add_parser(
        "resume",
        help="continue an interrupted study from its results directory",
        description="Re-run the study recorded in RESULTS/study.yaml with the flags of the first run "
        "(flags given here override them); finished trials are not retrained.",
    )
    resume.add_argument("results", help="results directory of an earlier `disentbench run`")
    _add_run_flags(resume)
    resume.set_defaults(handler=_cmd_resume)

    status = subparsers.add_parser("status", help="done / failed / pending counts of a results directory")
    status.add_argument("results", help="results directory")
    status.add_argument("--top", type=int, default=5, help="how many slowest trials to list (default 5)")
    status.set_defaults(handler=_cmd_status)

    export = subparsers.add_parser("export", help="write the results table as parquet or csv")
    export.add_argument("results", help="results directory")
    export.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    export.add_argument("--out", help="output file (default: RESULTS/results.<format>)")
    export.set_defaults(handler=_cmd_export)


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--address", help="join an existing Ray cluster: 'auto' or HOST:PORT")
    parser.add_argument(
        "--cpus-per-trial", type=float, help="CPUs per trial (default: the study's resources)"
    )
    parser.add_argument(
        "--gpus-per-trial", type=float, help="GPUs per trial; fractions share a GPU (e.g. 0.25)"
    )
    parser.add_argument("--max-concurrent", type=int, help="at most this many trials at once (0: no limit)")
    parser.add_argument("--max-failures", type=int, help="retries of a failed trial (default: the study's)")
    parser.add_argument(
        "--storage", help="Ray storage path for checkpoints: absolute path or URI (default: RESULTS/ray)"
    )
    parser.add_argument(
        "--data-root", help="data folder on every node (default: $DISENTBENCH_DATA or the user data dir)"
    )
    parser.add_argument("--retry-failed", action="store_true", help="re-run trials whose record says failed")
    parser.add_argument(
        "--max-trials",
        type=int,
        help=f"refuse a study with more trials than this (default {DEFAULT_MAX_TRIALS:,})",
    )
    parser.add_argument(
        "--models-per-trial",
        type=int,
        help="train this many compatible models together in one Ray trial (default: the study's, 1)",
    )
    parser.add_argument(
        "--keep-checkpoints",
        action="store_true",
        help="keep the checkpoints of finished trials under the storage path (default: delete them)",
    )
    parser.add_argument(
        "--resource-timeout",
        type=float,
        help="on an autoscaling cluster, seconds to wait for a node that fits one trial (default 900)",
    )
    parser.add_argument(
        "--datasets",
        type=_dataset_list,
        help="run only these of the study's data sets (comma-separated); model numbers do not change",
    )
    parser.add_argument(
        "--allow-stand-in",
        action="store_true",
        help="train on rendered offline stand-ins of missing official files even if the study refuses them",
    )


def _dataset_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected data-set names separated by commas")
    return names


_OPTION_FIELDS = (
    "address",
    "cpus_per_trial",
    "gpus_per_trial",
    "max_concurrent",
    "max_failures",
    "storage",
    "data_root",
    "retry_failed",
    "max_trials",
    "models_per_trial",
    "keep_checkpoints",
    "resource_timeout",
    "allow_stand_in",
    "datasets",
)
#: Flags that only switch something on: absent means "as saved", never "off".
_SWITCHES = ("retry_failed", "keep_checkpoints", "allow_stand_in")


def _options(args: argparse.Namespace, saved: dict[str, Any] | None = None) -> Any:
    """The run's options: the saved ones (on resume), overridden by every flag given.

    A flag given as 0 (``--gpus-per-trial 0``, ``--max-failures 0``, ``--max-concurrent 0``)
    overrides the study's value like any other: only an absent flag (None) defers to it.
    """
    from disentbench.benchmark.runner import RunOptions, check_options

    values = dict(saved or {})
    for name in _OPTION_FIELDS:
        value = getattr(args, name, None)
        if value is None or (name in _SWITCHES and not value):
            continue
        values[name] = value
    options = RunOptions(**{k: v for k, v in values.items() if k in _OPTION_FIELDS})
    check_options(options)
    return options


def _saved_options(results: Path) -> dict[str, Any]:
    """The options ``run`` saved in ``results``; ``UserError`` naming the file when it is damaged."""
    from disentbench.benchmark.runner import RunOptions, check_options

    path = results / OPTIONS_COPY
    if not path.is_file():
        return {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not readable JSON ({exc}); delete it and pass the flags again") from None
    if not isinstance(saved, dict):
        raise UserError(f"{path}: expected a JSON object of run options, got {type(saved).__name__}")
    saved = {k: v for k, v in saved.items() if k in _OPTION_FIELDS}
    try:
        check_options(RunOptions(**saved))
    except (UserError, TypeError) as exc:
        raise UserError(f"{path}: {exc}; fix it, or delete it and pass the flags again") from None
    return saved


def _cmd_run(args: argparse.Namespace) -> int:
    from disentbench.benchmark.study import check_trial_count, load_study, select_datasets
    from disentbench.io import check_writable_dir

    study = load_study(args.study)
    options = _options(args)
    results = Path(args.results) if args.results else Path("results") / study.name
    study = select_datasets(study, options.datasets)
    check_trial_count(study, options.max_trials)
    if args.dry_run:
        return _dry_run(study, results, options.models_per_trial or study.resources.models_per_trial)
    check_writable_dir(results, "results directory")
    copy = results / STUDY_COPY
    if not copy.exists() or copy.resolve() != Path(args.study).resolve():
        shutil.copyfile(args.study, str(copy) + ".part")
        os.replace(str(copy) + ".part", copy)
    from disentbench.io import write_json_atomic

    saved = {k: v for k, v in vars(options).items() if k != "retry_failed"}
    write_json_atomic(results / OPTIONS_COPY, saved)
    return _execute(study, results, options)


def _cmd_resume(args: argparse.Namespace) -> int:
    from disentbench.benchmark.study import load_study

    results = Path(args.results)
    copy = results / STUDY_COPY
    if not copy.is_file():
        raise UserError(
            f"{results}: no {STUDY_COPY}; expected a results directory written by `disentbench run`"
        )
    from disentbench.benchmark.study import select_datasets

    options = _options(args, _saved_options(results))
    return _execute(select_datasets(load_study(copy), options.datasets), results, options)


def _execute(study: Any, results: Path, options: Any) -> int:
    from disentbench import console
    from disentbench.benchmark.runner import run_study

    with console.run_log(results) as log_path:
        log.info("log of this run: %s", log_path)
        summary = run_study(study, results, options)
    print(
        f"study {study.name}: {summary.completed} completed, {summary.failed} failed, "
        f"{summary.pending} pending of {summary.total} (ran {summary.ran} trial(s) now)"
    )
    if summary.failed:
        print(f"some trials failed; see `disentbench status {results}`")
    if summary.pending:
        print(f"to continue: run the same command again, or `disentbench resume {results}`")
    print(f"results: {results.resolve()}  (records in {results.resolve() / 'records'})")
    print(f"log: {log_path.resolve()}")
    return summary.exit_code


def _dry_run(study: Any, results: Path, models_per_trial: int = 1) -> int:
    from disentbench.results.records import existing_records

    specs = study.trials()
    records = existing_records(results)
    pending = [spec for spec in specs if spec.trial_id not in records]
    pack_of: dict[str, str] = {}
    packs = []
    if models_per_trial > 1:
        from disentbench.benchmark.runner import study_packs

        packs = study_packs(pending, models_per_trial)
        pack_of = {spec.trial_id: f"#{n}" for n, pack in enumerate(packs) for spec in pack.specs}
    pack_column = f"{'pack':>5}  " if packs else ""
    print(
        f"{'model_num':>9}  {'dataset':<16} {'method':<13} {'hyperparameter':<22} {'seed':>4}  "
        f"{pack_column}trial_id"
    )
    for spec in specs:
        number = "-" if spec.model_num is None else str(spec.model_num)
        hyper = f"{spec.hyperparameter}={spec.strength:g}"
        mark = "  [recorded]" if spec.trial_id in records else ""
        columns = f"{number:>9}  {spec.dataset:<16} {spec.method:<13} {hyper:<22} {spec.seed:>4}"
        pack = f"{pack_of.get(spec.trial_id, '-'):>5}  " if packs else ""
        print(f"{columns}  {pack}{spec.trial_id}{mark}")
    for n, pack in enumerate(packs):
        print(f"pack #{n}: {pack.size} models, {pack.pack_id}")
    done = len(specs) - len(pending)
    in_packs = f" in {len(packs)} packs of up to {models_per_trial} models" if packs else ""
    print(
        f"{len(specs)} trials ({done} already recorded in {results}, {len(pending)} to run{in_packs}); "
        f"training: precision {study.precision}, convolutions {study.convolutions}"
        f"{', torch_compile' if study.torch_compile else ''}; "
        f"evaluation: preset {study.preset}, sklearn_semantics {study.sklearn_semantics}, "
        f"representations {'+'.join(study.representations)}, seeds {study.eval_seeds}"
    )
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from disentbench.benchmark.study import load_study
    from disentbench.results.records import existing_records, records_dir

    results = Path(args.results)
    if not records_dir(results).is_dir() and not (results / STUDY_COPY).is_file():
        raise UserError(f"{results}: not a results directory (no records/ and no {STUDY_COPY})")
    records = existing_records(results)
    if (results / STUDY_COPY).is_file():
        study = load_study(results / STUDY_COPY)
        ids = [spec.trial_id for spec in study.trials()]
        print(f"study {study.name} ({results})")
    else:
        ids = sorted(records)
        print(f"results {results} (no study copy; counting records only)")
    done = [records[i] for i in ids if i in records and records[i]["status"] == "completed"]
    failed = [records[i] for i in ids if i in records and records[i]["status"] == "failed"]
    pending = [i for i in ids if i not in records]
    print(f"  done {len(done)}   failed {len(failed)}   pending {len(pending)}   total {len(ids)}")
    slowest = sorted(done, key=lambda r: r["timings"].get("wall_seconds") or 0.0, reverse=True)[: args.top]
    if slowest:
        print("slowest trials (wall / train / eval seconds):")
        for r in slowest:
            t = r["timings"]
            print(
                f"  {r['trial_id']}  {t.get('wall_seconds') or 0:.1f} / {t.get('train_seconds') or 0:.1f}"
                f" / {t.get('eval_seconds') or 0:.1f}"
            )
    if failed:
        print("failed trials:")
        for r in failed:
            print(f"  {r['trial_id']}: {r.get('error')}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from disentbench.results.table import export

    path = export(args.results, args.format, args.out)
    print(f"wrote {path}")
    return 0
