"""Study files: YAML -> a validated, typed :class:`Study` -> the grid of :class:`TrialSpec`.

A study file is plain data (docs/style.md §5). Loading checks every field and fails with a
``UserError`` naming the file, the field and the expected values before anything runs. The
grid follows the reference's sweep order and model numbering (docs/reference/study.md §3.1)::

    model_num = 1800·dataset + 300·method + 50·h + seed

with the data-set index taken from the reference's list (``REFERENCE_DATASETS``), the method
index from the study order of ``disentbench.models.METHODS`` and ``h`` the position of the
strength in the method's reference grid. A trial outside the reference grid (a strength the
study did not sweep, a seed ≥ 50, a data set it did not use, a weakly-supervised method — the
reference numbers none, docs/reference/weak.md §3.3) has ``model_num = None``; its trial id
identifies it.

Schema (every key optional except ``study``, ``datasets``, ``methods``, ``seeds``)::

    study: smoke                      # name; also the default results folder results/<study>
    datasets: [dsprites_full]         # names from disentbench.datasets.names()
    methods:                          # name -> list of strengths, or "reference" (its 6 values)
      beta_vae: [1, 4]
      factor_vae: reference
      ada_gvae: {beta: [1, 4], k: [1, -1]}      # strengths and lists of other parameters to sweep
      mypkg.objectives:my_vae: {beta: [1, 4]}   # a plugin: {its swept parameter: strengths}
    seeds: 3                          # an int n (seeds 0..n-1) or a list of ints
    training: {steps: 300000, batch_size: 64, checkpoint_every: 10000, eval_batches: 1000,
               precision: fp32}       # fp32 (the reference's) | tf32 | bf16
    evaluation:
      preset: paper                   # metric preset, passed to metrics.evaluate
      metrics: all                    # "all" or a list of metric names
      representations: [mean, sampled]
      seeds: reference                # evaluation-seed policy (metrics.evaluate ``seeds``)
      sklearn_semantics: modern
      save_traversals: false          # store each model's traversal picture in its record
    resources: {cpus_per_trial: 1, gpus_per_trial: 0, max_concurrent: null, max_failures: 2,
                models_per_trial: 1}  # K > 1: one Ray trial trains K compatible models at once
    data: {stand_in: refuse}          # allow (default) | refuse: may a missing official file be
                                      # replaced by the rendered offline stand-in?

Ranges checked at load time, so no value that would fail inside a worker gets that far
(docs/reliability.md): seeds fit in 32 bits (the reference draws them as ``uint32``),
``2 ≤ batch_size ≤ MAX_BATCH_SIZE``, ``steps ≤ MAX_STEPS``, ``eval_batches ≤ MAX_EVAL_BATCHES``,
finite strengths, finite resources with ``cpus_per_trial > 0``; ``max_concurrent: 0`` means no
limit. The grid is never built to be counted: :meth:`Study.trial_count` multiplies, and
:meth:`Study.iter_trials` yields the specs one by one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from disentbench.errors import UserError
from disentbench.io import load_yaml_strict
from disentbench.results.ids import param_suffix
from disentbench.seeds import REPRESENTATIONS

#: The reference study's data-set order (docs/reference/study.md §3.1); the index is the model-number block.
REFERENCE_DATASETS: tuple[str, ...] = (
    "dsprites_full",
    "color_dsprites",
    "noisy_dsprites",
    "scream_dsprites",
    "smallnorb",
    "cars3d",
    "shapes3d",
)
#: Models per data set, per method and per strength in the reference numbering.
DATASET_BLOCK, METHOD_BLOCK, STRENGTH_BLOCK = 1800, 300, 50

#: Evaluation-seed policies: ``reference`` = the fixed seeds of ``dlib_reproduce`` for every
#: model (docs/reference/study.md §3.2); ``per_model`` = seeds derived from the model's seed
#: (dlib_reproduce_jmlr).
EVAL_SEED_POLICIES: tuple[str, ...] = ("reference", "per_model")

#: Largest values a study accepts (docs/reliability.md). The reference trains 300,000 steps of
#: batch 64; these leave generous room while refusing values that could only fail in a worker
#: (a batch larger than any data set's memory budget, a run that could never finish).
MAX_STEPS = 10_000_000
MAX_BATCH_SIZE = 65_536
MAX_EVAL_BATCHES = 1_000_000
#: Seeds are drawn and stored as unsigned 32-bit integers (numpy ``RandomState``), as the reference's.
MAX_SEED = 2**32 - 1
#: ``run`` refuses a larger grid unless ``--max-trials`` raises the limit (the reference: 12,600).
DEFAULT_MAX_TRIALS = 100_000

_TOP_KEYS = ("study", "datasets", "methods", "seeds", "training", "evaluation", "resources", "data")
#: ``data.stand_in``: whether a study may train on rendered stand-ins of missing official files.
STAND_IN_POLICIES: tuple[str, ...] = ("allow", "refuse")
_DATA_KEYS = ("stand_in",)
_TRAINING_KEYS = (
    "steps",
    "batch_size",
    "checkpoint_every",
    "eval_batches",
    "precision",
    "convolutions",
    "torch_compile",
)
_EVALUATION_KEYS = ("preset", "metrics", "representations", "seeds", "sklearn_semantics", "save_traversals")
_RESOURCE_KEYS = ("cpus_per_trial", "gpus_per_trial", "max_concurrent", "max_failures", "models_per_trial")
#: Most models one Ray trial may train together (``resources.models_per_trial``).
MAX_MODELS_PER_TRIAL = 4096


@dataclasses.dataclass(frozen=True)
class MethodInfo:
    """What the study needs to know about a method: its swept parameter and reference grid."""

    name: str
    index: int
    hyperparameter: str
    reference_grid: tuple[float, ...]
    fixed: Mapping[str, Any]
    #: False for a plugin method (disentbench.models.plugins): no reference model number.
    builtin: bool = True
    #: False for a built-in method the reference study does not number (the weakly-supervised ones).
    numbered: bool = True
    #: Fixed parameters that tell models apart even when not swept (a weak method's ``k``): shown in
    #: trial ids and as table columns like swept ones.
    shown_params: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Resources:
    """Ray resources per trial and the fault policy (docs/results.md)."""

    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    max_concurrent: int | None = None  # None or 0: no limit
    max_failures: int = 2
    models_per_trial: int = 1


@dataclasses.dataclass(frozen=True)
class TrialSpec:
    """One model to train and evaluate: everything that determines its result.

    ``trial_id`` is derived from the result-determining fields only (not the study name, nor
    ``checkpoint_every``), so the same model in a re-run or another study gets the same id.
    """

    study: str
    dataset: str
    method: str
    hyperparameter: str
    strength: float
    params: Mapping[str, Any]
    seed: int
    steps: int
    batch_size: int
    eval_batches: int
    checkpoint_every: int
    preset: str
    metrics: tuple[str, ...] | None
    representations: tuple[str, ...]
    eval_seeds: str
    sklearn_semantics: str
    model_num: int | None
    precision: str = "fp32"
    #: How the convolutions are computed and whether the forward pass is compiled
    #: (``TrainConfig``): speed and float rounding only, so they are not in the trial's id.
    convolutions: str = "native"
    torch_compile: bool = False
    #: Store the model's traversal picture in the record (disentbench.inspection.trial_outputs).
    save_traversals: bool = False
    #: Parameters swept besides the strength (e.g. a weakly-supervised method's ``k``); they are
    #: in ``params`` (so in the id's hash) and shown in the readable part of the trial id.
    swept: tuple[str, ...] = ()

    def identity(self) -> dict[str, Any]:
        """The fields that determine the trial's result, as canonical JSON-able data."""
        return {
            "dataset": self.dataset,
            "method": self.method,
            "params": dict(sorted(self.params.items())),
            "seed": self.seed,
            "steps": self.steps,
            "batch_size": self.batch_size,
            "eval_batches": self.eval_batches,
            "preset": self.preset,
            "metrics": list(self.metrics) if self.metrics is not None else None,
            "representations": list(self.representations),
            "eval_seeds": self.eval_seeds,
            "sklearn_semantics": self.sklearn_semantics,
            # Only a non-default precision enters the id, so fp32 trials keep the ids (and the
            # records) they had before precision was a setting.
            **({"precision": self.precision} if self.precision != "fp32" else {}),
        }

    @property
    def trial_id(self) -> str:
        """Stable, readable id: ``<dataset>.<method>.<strength>[.<param><value>…].s<seed>.<hash of
        identity>`` (e.g. ``dsprites_full.ada_gvae.4.k-1.s0.…`` for a swept ``k``)."""
        blob = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(blob.encode()).hexdigest()[:10]
        method = self.method.replace(":", "-")  # a plugin reference package.module:attribute
        extra = param_suffix(self.params, self.swept)
        return f"{self.dataset}.{method}.{self.strength:g}{extra}.s{self.seed}.{digest}"

    def to_dict(self) -> dict[str, Any]:
        """The full spec as plain data (the record's ``spec`` field)."""
        out = dataclasses.asdict(self)
        out["params"] = dict(self.params)
        out["metrics"] = list(self.metrics) if self.metrics is not None else None
        out["representations"] = list(self.representations)
        out["swept"] = list(self.swept)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialSpec:
        """Inverse of :meth:`to_dict` (used inside Ray workers, which receive plain data)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in fields}
        kwargs["metrics"] = tuple(kwargs["metrics"]) if kwargs.get("metrics") is not None else None
        kwargs["representations"] = tuple(kwargs["representations"])
        kwargs["params"] = dict(kwargs["params"])
        kwargs["swept"] = tuple(kwargs.get("swept", ()))
        return cls(**kwargs)


@dataclasses.dataclass(frozen=True)
class Study:
    """A validated study file."""

    name: str
    path: str
    datasets: tuple[str, ...]
    methods: tuple[tuple[str, tuple[float, ...]], ...]
    seeds: tuple[int, ...] | range  # a range for ``seeds: n``, never materialised
    steps: int
    batch_size: int
    eval_batches: int
    checkpoint_every: int
    preset: str
    metrics: tuple[str, ...] | None
    representations: tuple[str, ...]
    eval_seeds: str
    sklearn_semantics: str
    resources: Resources
    stand_in: str = "allow"
    #: The plugin methods the study names (after the built-ins in the sweep order).
    plugins: tuple[MethodInfo, ...] = ()
    precision: str = "fp32"
    convolutions: str = "native"
    torch_compile: bool = False
    #: Per method, the other parameters it sweeps: ``((method, ((param, values), …)), …)``.
    method_sweeps: tuple[tuple[str, tuple[tuple[str, tuple[Any, ...]], ...]], ...] = ()

    def sweeps_of(self, method: str) -> tuple[tuple[str, tuple[Any, ...]], ...]:
        """The parameters ``method`` sweeps besides its strength (empty for most methods)."""
        return dict(self.method_sweeps).get(method, ())

    def trial_count(self) -> int:
        """How many trials the grid has, computed without building it."""
        per_dataset = sum(
            len(strengths) * math.prod(len(values) for _, values in self.sweeps_of(method))
            for method, strengths in self.methods
        )
        return len(self.datasets) * per_dataset * len(self.seeds)

    save_traversals: bool = False

    def trials(self) -> list[TrialSpec]:
        """The grid as a list (see :meth:`iter_trials`); callers check :func:`check_trial_count` first."""
        return list(self.iter_trials())

    def iter_trials(self) -> Iterator[TrialSpec]:
        """The grid in the reference's sweep order: data set, method, strength, (other swept
        parameters, in the file's order), seed (lazily)."""
        infos = {**method_infos(), **{info.name: info for info in self.plugins}}
        for dataset in self.datasets:
            for method, strengths in self.methods:
                info = infos[method]
                sweeps = self.sweeps_of(method)
                names = tuple(name for name, _ in sweeps)
                swept = names + tuple(name for name in info.shown_params if name not in names)
                for strength, combination in itertools.product(
                    strengths, itertools.product(*(values for _, values in sweeps))
                ):
                    params = {
                        **dict(info.fixed),
                        info.hyperparameter: strength,
                        **dict(zip(names, combination, strict=True)),
                    }
                    for seed in self.seeds:
                        yield TrialSpec(
                            study=self.name,
                            dataset=dataset,
                            method=method,
                            hyperparameter=info.hyperparameter,
                            strength=strength,
                            params=params,
                            seed=seed,
                            steps=self.steps,
                            batch_size=self.batch_size,
                            eval_batches=self.eval_batches,
                            checkpoint_every=self.checkpoint_every,
                            preset=self.preset,
                            metrics=self.metrics,
                            representations=self.representations,
                            eval_seeds=self.eval_seeds,
                            sklearn_semantics=self.sklearn_semantics,
                            model_num=model_number(dataset, info, strength, seed),
                            precision=self.precision,
                            convolutions=self.convolutions,
                            torch_compile=self.torch_compile,
                            save_traversals=self.save_traversals,
                            swept=swept,
                        )


def check_trial_count(study: Study, max_trials: int | None = None) -> int:
    """The grid's size; ``UserError`` naming it when it exceeds ``max_trials`` (or the default).

    Counting multiplies the axes, so a study of 10⁹ trials is refused at once instead of being
    enumerated.
    """
    limit = DEFAULT_MAX_TRIALS if max_trials is None else max_trials
    count = study.trial_count()
    if count > limit:
        raise UserError(
            f"{study.path}: the study has {count:,} trials, more than the limit of {limit:,}; "
            f"check 'seeds', 'methods' and 'datasets', or raise the limit with --max-trials {count}"
        )
    return count


def select_datasets(study: Study, names: list[str] | tuple[str, ...] | None) -> Study:
    """The study restricted to the data sets ``names`` (``--datasets``), in the study's order.

    Model numbers do not change: they come from each data set's place in the reference list.
    """
    if not names:
        return study
    unknown = [name for name in names if name not in study.datasets]
    if unknown:
        raise UserError(
            f"--datasets: {', '.join(unknown)} not in study {study.name}; its data sets: "
            f"{', '.join(study.datasets)}"
        )
    return dataclasses.replace(study, datasets=tuple(d for d in study.datasets if d in names))


def method_infos() -> dict[str, MethodInfo]:
    """The study view of ``disentbench.models.METHODS`` (the one method registry)."""
    from disentbench.models import METHODS

    infos = {}
    for index, (name, spec) in enumerate(METHODS.items()):
        infos[name] = MethodInfo(
            name=name,
            index=index,
            hyperparameter=spec.hyperparameter,
            reference_grid=tuple(float(v) for v in spec.grid),
            fixed=dict(spec.fixed),
            numbered=not spec.weakly_supervised,
            shown_params=spec.shown_params,
        )
    return infos


def model_number(dataset: str, method: MethodInfo, strength: float, seed: int) -> int | None:
    """The reference's model number (docs/reference/study.md §3.1), or None outside the reference grid."""
    if not method.builtin or not method.numbered:
        return None
    if dataset not in REFERENCE_DATASETS or not 0 <= seed < STRENGTH_BLOCK:
        return None
    grid = [float(v) for v in method.reference_grid]
    if float(strength) not in grid:
        return None
    h = grid.index(float(strength))
    return (
        DATASET_BLOCK * REFERENCE_DATASETS.index(dataset)
        + METHOD_BLOCK * method.index
        + STRENGTH_BLOCK * h
        + seed
    )


class _Checker:
    """Field-by-field validation that names the file and the field in every error."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, field: str, message: str) -> UserError:
        return UserError(f"{self.path}: field '{field}': {message}")

    def mapping(self, field: str, value: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(field, f"expected a mapping with keys {', '.join(allowed)}, got {value!r}")
        unknown = [k for k in value if k not in allowed]
        if unknown:
            raise self.fail(
                f"{field}.{unknown[0]}" if field else str(unknown[0]),
                f"unknown key; expected one of {', '.join(allowed)}",
            )
        return dict(value)

    def integer(self, field: str, value: Any, minimum: int, maximum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(field, f"expected an integer ≥ {minimum}, got {value!r}")
        if maximum is not None and value > maximum:
            raise self.fail(
                field, f"expected an integer ≤ {maximum:,} (the documented maximum), got {value!r}"
            )
        return value

    def number(self, field: str, value: Any, minimum: float, *, positive: bool = False) -> float:
        """A finite number ≥ ``minimum`` (> ``minimum`` if ``positive``); nan and inf are refused."""
        relation = ">" if positive else "≥"
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not (value > minimum if positive else value >= minimum)
        ):
            raise self.fail(field, f"expected a finite number {relation} {minimum:g}, got {value!r}")
        return float(value)

    def boolean(self, field: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(field, f"expected true or false, got {value!r}")
        return value

    def choice(self, field: str, value: Any, allowed: tuple[str, ...] | list[str]) -> str:
        if value not in allowed:
            raise self.fail(field, f"got {value!r}; expected one of {', '.join(allowed)}")
        return value

    def string_list(self, field: str, value: Any, allowed: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(field, f"expected a non-empty list of {', '.join(allowed)}, got {value!r}")
        for i, item in enumerate(value):
            self.choice(f"{field}[{i}]", item, allowed)
        if len(set(value)) != len(value):
            raise self.fail(field, f"duplicate entries in {value!r}")
        return tuple(value)


def load_study(path: str | os.PathLike[str]) -> Study:
    """Read and validate a study file; raise ``UserError`` naming file and field on bad input."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read study file {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(
            f"{path}: not UTF-8 text (byte {raw[exc.start]:#04x} at line {line}); "
            "save the study file as UTF-8"
        ) from None
    data = load_yaml_strict(text, str(path))
    return parse_study(data, str(path))


def parse_study(data: Any, path: str = "<study>") -> Study:
    """Validate already-parsed YAML data into a :class:`Study` (see the module docstring)."""
    from disentbench import datasets as dataset_registry
    from disentbench.inspection.trial_outputs import MODEL_METRICS
    from disentbench.metrics import METRIC_NAMES, PRESETS
    from disentbench.metrics.estimators import SKLEARN_SEMANTICS

    check = _Checker(path)
    top = check.mapping("", data, _TOP_KEYS)
    if not top:
        raise check.fail("study", "the file is empty; expected a mapping with keys " + ", ".join(_TOP_KEYS))
    for key in ("study", "datasets", "methods", "seeds"):
        if key not in top:
            raise check.fail(key, "missing (required)")

    name = top["study"]
    if not isinstance(name, str) or not name or any(c in name for c in "/\\ ") or name.startswith("."):
        raise check.fail("study", f"expected a non-empty name without spaces or slashes, got {name!r}")

    datasets = check.string_list("datasets", top["datasets"], dataset_registry.names())

    infos = method_infos()
    raw_methods = top["methods"]
    if not isinstance(raw_methods, Mapping) or not raw_methods:
        raise check.fail("methods", f"expected a mapping of method name -> strengths, got {raw_methods!r}")
    methods = []
    plugins = []
    sweeps = []
    for method, strengths in raw_methods.items():
        if method in infos and isinstance(strengths, Mapping):
            strengths, method_sweep = _method_mapping(check, method, strengths, infos[method])
            if method_sweep:
                sweeps.append((method, method_sweep))
        if method not in infos:
            from disentbench.benchmark.plugin_methods import study_method

            infos[method], strengths = study_method(check, method, strengths, index=len(infos))
            plugins.append(infos[method])
        check.choice(f"methods.{method}", method, list(infos))
        field = f"methods.{method}"
        if strengths == "reference":
            values = infos[method].reference_grid
        elif isinstance(strengths, list) and strengths:
            values = tuple(check.number(f"{field}[{i}]", v, 0.0) for i, v in enumerate(strengths))
            if len(set(values)) != len(values):
                raise check.fail(field, f"duplicate strengths in {strengths!r}")
        else:
            raise check.fail(
                field,
                f"expected a non-empty list of non-negative {infos[method].hyperparameter} values "
                f"or 'reference', got {strengths!r}",
            )
        methods.append((method, values))
    # Keep the registry's study order whatever the file's order, so the sweep order is stable.
    methods.sort(key=lambda item: infos[item[0]].index)
    _check_pair_streams(check, datasets, methods, dict(sweeps))

    raw_seeds = top["seeds"]
    seeds: tuple[int, ...] | range
    if isinstance(raw_seeds, int) and not isinstance(raw_seeds, bool):
        seeds = range(check.integer("seeds", raw_seeds, 1, MAX_SEED + 1))
    elif isinstance(raw_seeds, list) and raw_seeds:
        seeds = tuple(check.integer(f"seeds[{i}]", s, 0, MAX_SEED) for i, s in enumerate(raw_seeds))
        if len(set(seeds)) != len(seeds):
            raise check.fail("seeds", f"duplicate seeds in {raw_seeds!r}")
    else:
        raise check.fail("seeds", f"expected a count ≥ 1 or a non-empty list of integers, got {raw_seeds!r}")

    training = check.mapping("training", top.get("training"), _TRAINING_KEYS)
    steps = check.integer("training.steps", training.get("steps", 300_000), 1, MAX_STEPS)
    batch_size = check.integer("training.batch_size", training.get("batch_size", 64), 2, MAX_BATCH_SIZE)
    eval_batches = check.integer(
        "training.eval_batches", training.get("eval_batches", 1000), 0, MAX_EVAL_BATCHES
    )
    checkpoint_every = check.integer(
        "training.checkpoint_every",
        training.get("checkpoint_every", max(1, min(10_000, steps // 4))),
        1,
        MAX_STEPS,
    )

    from disentbench.models.config import PRECISIONS
    from disentbench.models.matmul_conv import CONVOLUTIONS

    precision = check.choice("training.precision", training.get("precision", "fp32"), PRECISIONS)
    convolutions = check.choice("training.convolutions", training.get("convolutions", "native"), CONVOLUTIONS)
    torch_compile = check.boolean("training.torch_compile", training.get("torch_compile", False))

    evaluation = check.mapping("evaluation", top.get("evaluation"), _EVALUATION_KEYS)
    preset = check.choice("evaluation.preset", evaluation.get("preset", "paper"), list(PRESETS))
    raw_metrics = evaluation.get("metrics", "all")
    metrics = (
        None
        if raw_metrics == "all"
        else check.string_list("evaluation.metrics", raw_metrics, METRIC_NAMES + MODEL_METRICS)
    )
    representations = check.string_list(
        "evaluation.representations",
        evaluation.get("representations", list(REPRESENTATIONS)),
        REPRESENTATIONS,
    )
    eval_seeds = check.choice("evaluation.seeds", evaluation.get("seeds", "reference"), EVAL_SEED_POLICIES)
    sklearn_semantics = check.choice(
        "evaluation.sklearn_semantics", evaluation.get("sklearn_semantics", "modern"), SKLEARN_SEMANTICS
    )

    save_traversals = check.boolean("evaluation.save_traversals", evaluation.get("save_traversals", False))

    raw_resources = check.mapping("resources", top.get("resources"), _RESOURCE_KEYS)
    max_concurrent = raw_resources.get("max_concurrent")
    resources = Resources(
        cpus_per_trial=check.number(
            "resources.cpus_per_trial", raw_resources.get("cpus_per_trial", 1), 0.0, positive=True
        ),
        gpus_per_trial=check.number("resources.gpus_per_trial", raw_resources.get("gpus_per_trial", 0), 0.0),
        max_concurrent=None
        if max_concurrent is None
        else check.integer("resources.max_concurrent", max_concurrent, 0),
        max_failures=check.integer("resources.max_failures", raw_resources.get("max_failures", 2), 0),
        models_per_trial=check.integer(
            "resources.models_per_trial", raw_resources.get("models_per_trial", 1), 1, MAX_MODELS_PER_TRIAL
        ),
    )
    data_policy = check.mapping("data", top.get("data"), _DATA_KEYS)
    stand_in = check.choice("data.stand_in", data_policy.get("stand_in", "allow"), STAND_IN_POLICIES)
    return Study(
        name=name,
        path=path,
        datasets=datasets,
        methods=tuple(methods),
        seeds=seeds,
        steps=steps,
        batch_size=batch_size,
        eval_batches=eval_batches,
        checkpoint_every=checkpoint_every,
        preset=preset,
        metrics=metrics,
        representations=representations,
        eval_seeds=eval_seeds,
        sklearn_semantics=sklearn_semantics,
        resources=resources,
        stand_in=stand_in,
        plugins=tuple(plugins),
        precision=precision,
        convolutions=convolutions,
        torch_compile=torch_compile,
        save_traversals=save_traversals,
        method_sweeps=tuple(sweeps),
    )


def _check_pair_streams(
    check: _Checker,
    datasets: tuple[str, ...],
    methods: list[tuple[str, tuple[float, ...]]],
    sweeps: Mapping[str, tuple[tuple[str, tuple[Any, ...]], ...]],
) -> None:
    """Every weakly-supervised method's ``k`` fits every data set of the study (docs/reference/weak.md
    §5): refused at load time, naming the field, the data set and its factor count."""
    from disentbench import datasets as dataset_registry
    from disentbench.datasets.pairs import check_k
    from disentbench.models import METHODS

    for method, _ in methods:
        spec = METHODS.get(method)  # plugins are never weakly supervised
        if spec is None or not spec.weakly_supervised:
            continue
        ks = dict(sweeps.get(method, ())).get("k", (spec.fixed["k"],))
        for dataset in datasets:
            num_factors = len(dataset_registry.latent_factor_names(dataset))
            for k in ks:
                try:
                    check_k(k, num_factors)
                except UserError as exc:
                    raise check.fail(f"methods.{method}.k", f"data set {dataset}: {exc}") from None


def _method_mapping(
    check: _Checker, method: str, entry: Mapping[str, Any], info: MethodInfo
) -> tuple[Any, tuple[tuple[str, tuple[Any, ...]], ...]]:
    """``{<swept parameter>: strengths, <other parameter>: value or list, …}`` of a built-in method:
    ``(strengths, ((param, values), …))``. A single value overrides the method's fixed value, a list
    sweeps it (validated by the method's own parameter rules)."""
    from disentbench.models import get_method

    field = f"methods.{method}"
    spec = get_method(method)
    if info.hyperparameter not in entry:
        raise check.fail(field, f"expected {{{info.hyperparameter}: [strengths], …}}, got {dict(entry)!r}")
    unknown = sorted(set(entry) - set(spec.param_names))
    if unknown:
        raise check.fail(
            f"{field}.{unknown[0]}", f"unknown parameter; {method} takes {', '.join(spec.param_names)}"
        )
    sweeps = []
    for name, raw in entry.items():
        if name == info.hyperparameter:
            continue
        values = raw if isinstance(raw, list) else [raw]
        if not values:
            raise check.fail(f"{field}.{name}", "expected a value or a non-empty list of values")
        checked = []
        for i, value in enumerate(values):
            where = f"{field}.{name}" + (f"[{i}]" if isinstance(raw, list) else "")
            try:
                checked.append(spec.resolve_params({name: value})[name])
            except UserError as exc:
                raise check.fail(where, str(exc).split(": ", 1)[-1]) from None
        if len(set(checked)) != len(checked):
            raise check.fail(f"{field}.{name}", f"duplicate values in {raw!r}")
        sweeps.append((name, tuple(checked)))
    return entry[info.hyperparameter], tuple(sweeps)
