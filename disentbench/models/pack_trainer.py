"""The trainer: K models of one method trained together as one computation (docs/reference/models.md
§2.9–2.11).

A *pack* is K training configs with equal :func:`~disentbench.models.config.pack_key` — same data
set, method, steps, batch size and settings — differing in hyper-parameter values and seeds. A
solo run is the pack of one (``trainer.train``). Packing never changes a model's result:

* each model's initial weights are drawn from ``torch.Generator().manual_seed(seed)`` exactly as a
  solo run draws them, then stacked (``packed.PackedNetworks``);
* each model has its own noise generator (continuing its init stream on CPU, seeded from it on
  CUDA) and its own data stream, ``RandomState`` seeded by the first ``randint(2**32)`` of
  ``RandomState(seed)`` (§2.11);
* one Adam over the stacked parameters is K independent Adams (``adam``), and each model's slice
  receives only its own gradient;
* a model whose loss becomes NaN/inf is frozen (zero gradient and moments: its slice stops
  changing) and reported failed with its step and last finite values; the others train on.

One iteration = each model's batch of 64, one forward pass, one Adam update (and FactorVAE's
simultaneous discriminator update from the same forward pass, §2.9). A weakly-supervised method
(docs/reference/weak.md §2–3) trains the same way on batches of 64 *pairs*: each model draws its
pairs from its data ``RandomState`` and the new factor values from a second ``RandomState``
seeded from the same seed (``datasets.pairs.value_seed``), with its own ``k``. On CUDA the iteration is
captured once as a CUDA graph and replayed (``cuda_graph``); loss values reach the host in windows
of 50 iterations, so a divergence is found up to 49 iterations late, but the model was frozen on
the device at the exact iteration.

Checkpoints (``checkpoints``) hold every member's weights, both optimisers' states, each model's
noise-generator and data ``RandomState`` state, the step and each member's failure state; resuming
reproduces an uninterrupted run exactly on CPU. Only a verified checkpoint (manifest written last)
is resumed; when the newest fails verification, the newest verified one is used, else training
starts from iteration 0 — logged as a warning either way.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from disentbench.datasets.base import GroundTruthData
from disentbench.datasets.pairs import check_k, value_seed
from disentbench.errors import DataFileError, UserError
from disentbench.io import write_json_atomic
from disentbench.models import checkpoints
from disentbench.models.adam import freeze_inactive, make_adam
from disentbench.models.config import TrainConfig, pack_key
from disentbench.models.cuda_graph import GraphedIteration
from disentbench.models.data_stream import data_stream_seeds
from disentbench.models.device_data import PackBatches, PairStreams
from disentbench.models.devices import device_name, precision_mode, resolve_device
from disentbench.models.divergence import TrainingDiverged
from disentbench.models.losses import LOSS_KEYS, named_values
from disentbench.models.methods import get_method
from disentbench.models.networks import NUM_LATENTS, Networks, build_networks
from disentbench.models.packed import PackedNetworks, PackForward, resolve_strategy
from disentbench.models.statistics import IntervalMeans, training_statistics, unsupervised_scores
from disentbench.models.trained import TrainedModel

logger = logging.getLogger(__name__)

#: Config fields that must match for a checkpoint to be resumed (the rest only affect speed/logs).
RESUME_FIELDS = (
    "dataset",
    "method",
    "seed",
    "batch_size",
    "learning_rate",
    "adam_beta1",
    "adam_beta2",
    "adam_epsilon",
    "discriminator_learning_rate",
    "discriminator_beta1",
    "discriminator_beta2",
    "discriminator_epsilon",
    "factor_vae_reference_steps",
    "data_stream",
    "precision",
)
#: Config fields that may change at a resume (speed and float rounding only); a change is logged.
SPEED_FIELDS = ("convolutions", "torch_compile", "channels_last", "cuda_graphs")
#: Format 4 records the layout of its Adam moment rows (``channels_last``).
CHECKPOINT_FORMAT_VERSION = 4
#: Format 3: padded rows in the layout of the writer's ``channels_last`` (its config).
UNRECORDED_LAYOUT_CHECKPOINT_FORMAT = 3
#: Format 2 held Adam moments of unpadded rows (``packed.PackedNetworks``); they are padded on load.
UNPADDED_CHECKPOINT_FORMAT = 2
#: Iterations between host reads of the loss values on an accelerator.
DEVICE_SYNC_EVERY = 50

#: ``log_fn(step, index, means)``: mean losses of member ``index`` over the last log interval.
PackLogFunction = Callable[[int, int, dict[str, float]], None]
CheckpointCallback = Callable[[int, Path], None]


@dataclass
class PackMemberResult:
    """What training did for one member of a pack.

    ``model`` is ``None`` exactly when ``failure`` is set (the member diverged). ``train_seconds``
    is the wall time of the whole pack's training (shared by all members; see the model's
    ``training_stats["train_seconds_share"]`` for its share); ``resumed_from_step`` is the
    iteration the pack resumed from, or ``None``.
    """

    index: int
    config: TrainConfig
    model: TrainedModel | None
    failure: TrainingDiverged | None
    train_seconds: float
    resumed_from_step: int | None


def _masks_every_step(device: torch.device) -> bool:
    """Freeze failed members on the device every iteration (CUDA: no host sync inside the graph);
    on a CPU, only in an iteration where some member is inactive (the check is free there)."""
    return device.type != "cpu"


class _Pack:
    """State of one pack's training (networks, optimisers, generators, data states, counters)."""

    def __init__(
        self, configs: Sequence[TrainConfig], data: GroundTruthData, device: torch.device, strategy: str
    ):
        self.configs = list(configs)
        first = self.configs[0]
        self.size = len(self.configs)
        self.spec = get_method(first.method)
        self.params = [c.resolved_params for c in self.configs]
        self.device = device
        shape = tuple(data.observation_shape)
        if len(shape) != 3 or shape[1:] != (64, 64) or shape[0] not in (1, 3):
            raise UserError(f"data set {first.dataset!r}: expected observations (C, 64, 64), got {shape}")
        self.num_channels = int(shape[0])
        self.strategy = resolve_strategy(strategy, device, self.size)
        # ``channels_last`` lays out the convolutions of the loop strategy (solo runs, CPU packs);
        # vmap's grouped convolutions run faster channels-first on CUDA (docs/performance.md).
        channels_last = first.channels_last and self.strategy == "loop"
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        # Each member draws from its own generator, so building them on threads (the draws release
        # the GIL) gives the same weights in any order: a pack of hundreds starts in seconds.
        workers = min(self.size, os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            built = list(pool.map(self._build_member, self.configs))
        members = [networks for networks, _ in built]
        self.noise = [noise for _, noise in built]
        self.nets = PackedNetworks(members, device, self.memory_format)
        self.forward = PackForward(
            self.nets, self.spec, self.params, self.strategy, first.precision, first.torch_compile
        )
        self.use_graphs = device.type == "cuda" and first.cuda_graphs
        self.vae_optimizer = make_adam(
            self.nets.vae_parameters(),
            first.learning_rate,
            (first.adam_beta1, first.adam_beta2),
            first.adam_epsilon,
            self.use_graphs,
        )
        self.disc_optimizer = None
        if self.nets.has_discriminator:
            self.disc_optimizer = make_adam(
                self.nets.discriminator_parameters(),
                first.discriminator_learning_rate,
                (first.discriminator_beta1, first.discriminator_beta2),
                first.discriminator_epsilon,
                self.use_graphs,
            )
        seeds = [data_stream_seeds(c.seed) for c in self.configs]
        self.train_seeds = [s[0] for s in seeds]
        self.eval_seeds = [s[1] for s in seeds]
        self.data_states: list[Any] = [np.random.RandomState(s).get_state() for s in self.train_seeds]
        # Weak supervision: each model's k and the stream of its pairs' new factor values.
        self.pair_ks: list[int] | None = None
        self.value_states: list[Any] | None = None
        if self.spec.pairs is not None:
            self.pair_ks = [pair_k(first.dataset, data, p, self.spec.pairs.aggregation) for p in self.params]
            self.value_states = [np.random.RandomState(value_seed(s)).get_state() for s in self.train_seeds]
        self.step = 0
        self.elapsed = 0.0
        self.last_finite: list[dict[str, float] | None] = [None] * self.size
        self.failures: list[TrainingDiverged | None] = [None] * self.size
        self.active = torch.ones(self.size, dtype=torch.bool, device=device)
        self.mask_every_step = _masks_every_step(device)
        self.graphed = GraphedIteration(self._update, device, self._drop_grads) if self.use_graphs else None

    # --- one iteration ---------------------------------------------------------------------

    def _build_member(self, config: TrainConfig) -> tuple[Networks, torch.Generator]:
        """A member's networks initialised from its seed, and its noise generator.

        The noise stream continues the seeded init stream on CPU; on CUDA it is seeded from it.
        """
        init_generator = torch.Generator().manual_seed(config.seed)
        networks = build_networks(
            self.num_channels, self.spec.uses_discriminator, init_generator, config.convolutions
        )
        if self.device.type == "cpu":
            return networks, init_generator
        noise_seed = int(torch.randint(2**62, (1,), generator=init_generator))
        return networks, torch.Generator(device=self.device).manual_seed(noise_seed)

    def iterate(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """One iteration of every member on its batch ``x[k]``; the detached values ``(K, 5)``.

        Each member's noise ε (and FactorVAE's permutation keys) are drawn first, in that order,
        from its own generator; then the update runs eagerly or as a CUDA-graph replay. For pairs
        (``x`` ``(K, 2, B, C, H, W)``, ``labels`` ``(K, B)``) ε of the first images, then of the
        second images; the labels travel in the slot of the permutation keys.
        """
        pairs = self.spec.pairs is not None
        shape = (x.shape[2 if pairs else 1], self.nets.templates["encoder"].num_latents)
        eps, keys = [], []
        for generator in self.noise:
            if pairs:
                first = torch.randn(shape, generator=generator, device=self.device)
                eps.append(torch.stack([first, torch.randn(shape, generator=generator, device=self.device)]))
            else:
                eps.append(torch.randn(shape, generator=generator, device=self.device))
            if self.disc_optimizer is not None:
                keys.append(torch.rand(shape, generator=generator, device=self.device))
        eps_all = torch.stack(eps)
        keys_all = torch.stack(keys) if keys else labels
        if self.graphed is not None:
            return self.graphed(x, eps_all, keys_all, self.step)
        return self._update(x, eps_all, keys_all, self.step)

    def _update(
        self, x: torch.Tensor, eps: torch.Tensor, keys: torch.Tensor | None, step: int | torch.Tensor
    ) -> torch.Tensor:
        """Forward passes, gradients, freezing of failed members and the optimiser step(s) (§2.9, §2.10)."""
        values, vae_total, disc_total = self.forward(x, eps, keys, step)
        vae_params = self.nets.vae_parameters()
        vae_grads = list(torch.autograd.grad(vae_total, vae_params, retain_graph=disc_total is not None))
        disc_params = self.nets.discriminator_parameters()
        disc_grads = list(torch.autograd.grad(disc_total, disc_params)) if disc_total is not None else []
        self.active &= torch.isfinite(values).all(dim=1)
        if self.mask_every_step or not bool(self.active.all()):
            freeze_inactive(self.vae_optimizer, vae_grads, self.active)
            if self.disc_optimizer is not None:
                freeze_inactive(self.disc_optimizer, disc_grads, self.active)
        for param, grad in zip([*vae_params, *disc_params], [*vae_grads, *disc_grads], strict=True):
            # The fused Adam kernel walks param and grad storage in step: their layouts must agree.
            param.grad = grad if grad.stride() == param.stride() else torch.empty_like(param).copy_(grad)
        self.vae_optimizer.step()
        if self.disc_optimizer is not None:
            self.disc_optimizer.step()
        return values.detach()

    def _drop_grads(self) -> None:
        self.vae_optimizer.zero_grad(set_to_none=True)
        if self.disc_optimizer is not None:
            self.disc_optimizer.zero_grad(set_to_none=True)

    # --- checkpoints -----------------------------------------------------------------------

    def save_checkpoint(self, folder: Path) -> Path:
        """Write ``ckpt-<step>/`` (manifest last), point ``latest.json`` at it, drop older ones."""
        work = checkpoints.begin_checkpoint(folder, self.step)
        checkpoints.save_tensors(work / "weights.safetensors", self.nets.state_tensors())
        state = {
            "format_version": CHECKPOINT_FORMAT_VERSION,
            "pack_size": self.size,
            "step": self.step,
            "elapsed_seconds": self.elapsed,
            "vae_optimizer": self.vae_optimizer.state_dict(),
            "discriminator_optimizer": self.disc_optimizer.state_dict() if self.disc_optimizer else None,
            "noise_generators": [g.get_state() for g in self.noise],
            "noise_device": self.device.type,
            "data_random_states": [_random_state_to_dict(s) for s in self.data_states],
            "value_random_states": None
            if self.value_states is None
            else [_random_state_to_dict(s) for s in self.value_states],
            "last_finite": self.last_finite,
            "failures": [f.to_dict() if f is not None else None for f in self.failures],
            "active": self.active.detach().cpu(),
            "channels_last": self.nets.channels_last,
        }
        checkpoints.save_state(work / "trainer_state.pt", state)
        write_json_atomic(work / "config.json", {"members": [c.to_dict() for c in self.configs]})
        return checkpoints.commit_checkpoint(folder, work, self.step)

    def load_checkpoint(self, folder: Path) -> bool:
        """Restore from the newest verified checkpoint in ``folder``; return whether one was loaded."""
        path = checkpoints.newest_good_in_folder(folder)
        if path is None:
            if folder.is_dir() and any(folder.glob(f"{checkpoints.CHECKPOINT_PREFIX}*")):
                logger.warning("no verified checkpoint in %s: training starts from iteration 0", folder)
            return False
        saved = _read_members(path / "config.json")
        if len(saved) != self.size:
            raise UserError(f"{path}: checkpoint holds a pack of {len(saved)}, this run has {self.size}")
        for k, (old, config) in enumerate(zip(saved, self.configs, strict=True)):
            where = f"{path} (member {k})" if self.size > 1 else str(path)
            for field_name in RESUME_FIELDS:
                if old.get(field_name) != getattr(config, field_name):
                    raise UserError(
                        f"{where}: checkpoint has {field_name}={old.get(field_name)!r}, "
                        f"this run has {getattr(config, field_name)!r}; refusing to resume"
                    )
            if old.get("resolved_params") != self.params[k]:
                raise UserError(
                    f"{where}: checkpoint has params {old.get('resolved_params')}, "
                    f"this run has {self.params[k]}"
                )
        # Speed settings are the pack's (``pack_key``): one member says what changed.
        for field_name in SPEED_FIELDS:
            now = getattr(self.configs[0], field_name)
            written = saved[0].get(field_name, now)  # older checkpoints may lack a field
            if written != now:
                logger.warning(
                    "%s: written with %s=%r, resuming with %r (speed and float rounding only; "
                    "the record shows the new value)",
                    path,
                    field_name,
                    written,
                    now,
                )
        try:
            self.nets.load_state_tensors(checkpoints.load_tensors(path / "weights.safetensors"))
        except ValueError as exc:
            raise DataFileError(f"{path / 'weights.safetensors'}: weights do not fit ({exc})") from None
        state = checkpoints.load_state(path / "trainer_state.pt")
        version = state.get("format_version")
        known = (CHECKPOINT_FORMAT_VERSION, UNRECORDED_LAYOUT_CHECKPOINT_FORMAT, UNPADDED_CHECKPOINT_FORMAT)
        if version not in known or state.get("pack_size") != self.size:
            raise DataFileError(f"{path / 'trainer_state.pt'}: unknown checkpoint format")
        optimizers = [(self.vae_optimizer, state["vae_optimizer"], self.nets.vae_parameters())]
        if self.disc_optimizer is not None:
            optimizers.append(
                (self.disc_optimizer, state["discriminator_optimizer"], self.nets.discriminator_parameters())
            )
        # Moments are rows in the writer's layout: recorded since format 4, before that the
        # writer's config's (every strategy followed it then).
        written_channels_last = bool(state.get("channels_last", saved[0].get("channels_last", True)))
        for optimizer, saved, leaves in optimizers:
            if version == UNPADDED_CHECKPOINT_FORMAT:
                saved = _pack_moments_padded(saved, leaves)
            if optimizer is self.vae_optimizer:
                saved = self._moments_in_layout(saved, written_channels_last)
            optimizer.load_state_dict(saved)
        if state["noise_device"] != self.device.type:
            raise UserError(
                f"{path}: checkpoint was written on {state['noise_device']}, cannot resume on "
                f"{self.device.type} with the same random streams"
            )
        for generator, saved_state in zip(self.noise, state["noise_generators"], strict=True):
            generator.set_state(saved_state)
        self.data_states = [_random_state_from_dict(s) for s in state["data_random_states"]]
        if self.value_states is not None:
            saved_values = state.get("value_random_states")
            if saved_values is None or len(saved_values) != self.size:
                raise DataFileError(f"{path / 'trainer_state.pt'}: no pair value streams in the checkpoint")
            self.value_states = [_random_state_from_dict(s) for s in saved_values]
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed_seconds"])
        self.last_finite = list(state["last_finite"])
        self.failures = [TrainingDiverged.from_dict(f) if f is not None else None for f in state["failures"]]
        self.active.copy_(state["active"].to(self.device))
        logger.info("resuming a pack of %d from iteration %d (%s)", self.size, self.step, path)
        return True

    def _moments_in_layout(self, saved: dict[str, Any], channels_last: bool) -> dict[str, Any]:
        """The VAE optimiser's state with its moment rows rearranged into this pack's layout."""
        names = self.nets.vae_parameter_names()
        state = {}
        for index, moments in saved["state"].items():
            part, name = names[int(index)]
            state[index] = {
                key: self.nets.rows_from_layout(part, name, value, channels_last)
                if key in ("exp_avg", "exp_avg_sq")
                else value
                for key, value in moments.items()
            }
        return {**saved, "state": state}


def pair_k(dataset: str, data: GroundTruthData, params: dict[str, float], aggregation: str) -> int:
    """The pair stream's ``k`` of one weakly-supervised model, checked against the data set
    (``UserError`` before training: k out of range, one-factor data, labels without a latent
    dimension for every factor; docs/reference/weak.md §1.3, §5)."""
    try:
        k = check_k(params["k"], data.num_factors)
    except UserError as exc:
        raise UserError(f"data set {dataset!r}: {exc}") from None
    if aggregation == "labels" and data.num_factors > NUM_LATENTS:
        raise UserError(
            f"data set {dataset!r}: labels aggregation maps factor i to code dimension i, but the data "
            f"set has {data.num_factors} factors and the code {NUM_LATENTS} dimensions"
        )
    return k


def _pack_moments_padded(saved: dict[str, Any], leaves: Sequence[torch.Tensor]) -> dict[str, Any]:
    """An optimizer state of unpadded rows ``(K, numel)`` with its moments padded with zeros to the
    leaves' ``(K, row)`` (the padding's moments are zero in a padded run too)."""
    state = {}
    for index, values in saved["state"].items():
        leaf = leaves[int(index)]
        padded = {}
        for key, value in values.items():
            if isinstance(value, torch.Tensor) and value.dim() == 2 and value.shape != leaf.shape:
                grown = torch.zeros(leaf.shape, dtype=value.dtype)
                grown[:, : value.shape[1]] = value
                value = grown
            padded[key] = value
        state[index] = padded
    return {**saved, "state": state}


def _random_state(state: Any) -> np.random.RandomState:
    rs = np.random.RandomState()
    rs.set_state(state)
    return rs


def _random_state_to_dict(state: Any) -> dict[str, Any]:
    keys, pos, has_gauss, cached = state[1:]
    return {
        "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "cached_gaussian": float(cached),
    }


def _random_state_from_dict(saved: dict[str, Any]) -> tuple[Any, ...]:
    keys = saved["keys"].numpy().astype(np.uint32)
    return ("MT19937", keys, saved["pos"], saved["has_gauss"], saved["cached_gaussian"])


def _read_members(path: Path) -> list[dict[str, Any]]:
    try:
        members = json.loads(path.read_text(encoding="utf-8"))["members"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataFileError(f"{path}: unreadable checkpoint config ({exc})") from None
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise DataFileError(f"{path}: expected a list of member configs")
    return members


def train_pack(
    configs: Sequence[TrainConfig],
    data: GroundTruthData,
    *,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    checkpoint_every: int | None = None,
    on_checkpoint: CheckpointCallback | None = None,
    log_fn: PackLogFunction | None = None,
    device: str = "auto",
    strategy: str = "auto",
    data_on_device: bool = True,
) -> list[PackMemberResult]:
    """Train the pack ``configs`` on ``data``; one :class:`PackMemberResult` per config, in order.

    All configs must have equal :func:`pack_key` (``UserError`` otherwise). ``device`` ``auto``
    uses the configs' ``device``. If ``checkpoint_dir`` holds a verified checkpoint of this pack,
    training resumes from it; a checkpoint is written every ``checkpoint_every`` iterations
    (default ``config.checkpoint_every``) and at the end, and ``on_checkpoint(step, checkpoint_dir)``
    is called after each. ``log_fn(step, index, means)`` receives each live member's mean losses of
    every ``log_every`` interval (default: the ``logging`` module). ``strategy``: ``loop``,
    ``vmap`` or ``auto`` (``packed.resolve_strategy``). ``data_on_device``: gather batches from
    pixels resident on the device where the data set allows it (``device_data``).
    """
    if not configs:
        raise UserError("train_pack: no configs given")
    for config in configs:
        config.validate()
    key = pack_key(configs[0])
    for k, config in enumerate(configs[1:], start=1):
        if pack_key(config) != key:
            differing = [n for (n, a), (_, b) in zip(key, pack_key(config), strict=True) if a != b]
            raise UserError(f"train_pack: config {k} differs from config 0 in {', '.join(differing)}")
    target = resolve_device(configs[0].device if device == "auto" else device)
    first = configs[0]
    previous_threads = torch.get_num_threads()
    if first.num_threads is not None:
        torch.set_num_threads(first.num_threads)
    try:
        with precision_mode(first.precision):
            return _train_pack(
                list(configs),
                data,
                target,
                Path(checkpoint_dir) if checkpoint_dir is not None else None,
                checkpoint_every or first.checkpoint_every,
                on_checkpoint,
                log_fn or _default_log(first.method, first.num_iterations, len(configs)),
                strategy,
                data_on_device,
            )
    finally:
        if first.num_threads is not None:
            torch.set_num_threads(previous_threads)


def _train_pack(
    configs: list[TrainConfig],
    data: GroundTruthData,
    device: torch.device,
    ckpt_dir: Path | None,
    every: int,
    on_checkpoint: CheckpointCallback | None,
    log_fn: PackLogFunction,
    strategy: str,
    data_on_device: bool,
) -> list[PackMemberResult]:
    pack = _Pack(configs, data, device, strategy)
    first = configs[0]
    resumed_from = pack.step if ckpt_dir is not None and pack.load_checkpoint(ckpt_dir) else None
    total = first.num_iterations
    # On CPU each iteration is checked at once; on an accelerator values are fetched in windows so
    # the host does not wait for the device every iteration (the failing iteration is still exact).
    sync_every = 1 if device.type == "cpu" else DEVICE_SYNC_EVERY
    window: list[torch.Tensor] = []
    means = IntervalMeans(pack.size, len(LOSS_KEYS))
    last_interval: list[dict[str, float]] = [{} for _ in range(pack.size)]
    uses_disc = pack.spec.uses_discriminator
    random_states = [_random_state(state) for state in pack.data_states]
    pairs = None
    if pack.value_states is not None and pack.pair_ks is not None:
        pairs = PairStreams(pack.pair_ks, [_random_state(state) for state in pack.value_states])
    batches = PackBatches(
        data,
        first.batch_size,
        random_states,
        device,
        mode=first.data_stream,
        prefetch=first.prefetch,
        on_device=data_on_device,
        pairs=pairs,
    )
    start_step = pack.step
    started = time.perf_counter()
    try:
        while pack.step < total and any(f is None for f in pack.failures):
            x, labels = batches.next()
            if pack.step == start_step and tuple(x.shape[-3:]) != (pack.num_channels, 64, 64):
                raise UserError(f"data set {first.dataset!r}: batch shape {tuple(x.shape[1:])} does not fit")
            window.append(pack.iterate(x, labels))
            pack.step += 1
            pack.data_states, value_states = batches.states()
            if value_states is not None:
                pack.value_states = value_states
            log_due = pack.step % first.log_every == 0
            ckpt_due = ckpt_dir is not None and pack.step % every == 0
            if len(window) >= sync_every or log_due or ckpt_due or pack.step == total:
                rows = torch.stack(window).cpu().numpy().astype(np.float64)  # (n, K, 5)
                first_step = pack.step - len(window)
                window = []
                for offset, row in enumerate(rows):
                    for k in range(pack.size):
                        if pack.failures[k] is not None:
                            continue
                        values = named_values(row[k], uses_disc)
                        if not np.all(np.isfinite(row[k])):
                            pack.failures[k] = TrainingDiverged(
                                first_step + offset, values, pack.last_finite[k]
                            )
                            logger.warning("%s member %d: %s", first.method, k, pack.failures[k])
                            continue
                        pack.last_finite[k] = values
                        means.add(k, row[k])
            if log_due:
                for k in range(pack.size):
                    mean = means.take(k)
                    if mean is not None and pack.failures[k] is None:
                        last_interval[k] = named_values(mean, uses_disc)
                        log_fn(pack.step, k, last_interval[k])
            if all(f is not None for f in pack.failures):
                break
            if ckpt_due or (ckpt_dir is not None and pack.step == total and pack.step != start_step):
                pack.elapsed += time.perf_counter() - started
                started = time.perf_counter()
                pack.save_checkpoint(ckpt_dir)  # type: ignore[arg-type]
                if on_checkpoint is not None:
                    on_checkpoint(pack.step, ckpt_dir)  # type: ignore[arg-type]
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        pack.elapsed += time.perf_counter() - started
    finally:
        batches.close()
    return [
        _member_result(pack, k, data, resumed_from, pack.step - start_step, last_interval[k])
        for k in range(pack.size)
    ]


def _member_result(
    pack: _Pack,
    k: int,
    data: GroundTruthData,
    resumed_from: int | None,
    trained_steps: int,
    last_interval: dict[str, float],
) -> PackMemberResult:
    config = pack.configs[k]
    failure = pack.failures[k]
    if failure is not None:
        return PackMemberResult(k, config, None, failure, pack.elapsed, resumed_from)
    nets = pack.nets.unstack(k)
    eval_started = time.perf_counter()
    scores = unsupervised_scores(
        pack.spec, pack.params[k], nets, data, config, pack.eval_seeds[k], pack.device
    )
    stats = training_statistics(
        config,
        elapsed=pack.elapsed,
        trained_steps=trained_steps,
        pack_size=pack.size,
        device_label=device_name(pack.device),
        train_seed=pack.train_seeds[k],
        eval_seed=pack.eval_seeds[k],
        resumed_from=resumed_from,
        last_losses=last_interval or pack.last_finite[k] or {},
        scores=scores,
        eval_seconds=time.perf_counter() - eval_started,
    )
    stats["pack_strategy"] = pack.strategy
    if config.convolutions == "matmul":  # activations channels-last whatever the weights' layout
        stats["conv_layout"] = "matmul (channels-last activations)"
    else:
        stats["conv_layout"] = "channels-last" if pack.nets.channels_last else "channels-first"
    for module in nets.modules().values():
        module.eval()
    model = TrainedModel(config, nets.encoder, nets.decoder, stats)
    return PackMemberResult(k, config, model, None, pack.elapsed, resumed_from)


def _default_log(method: str, total: int, size: int) -> PackLogFunction:
    def log(step: int, index: int, values: dict[str, float]) -> None:
        shown = " ".join(f"{k}={v:.4g}" for k, v in values.items())
        name = f"{method}[{index}]" if size > 1 else method
        logger.info("%s iteration %d/%d %s", name, step, total, shown)

    return log
