"""The shared trainer of the six methods (models.md §2.9–2.11).

One iteration = one batch of 64 i.i.d. observations, one forward pass, one Adam update of the
encoder and decoder (and, for FactorVAE, a simultaneous Adam update of the discriminator from the
same forward pass, §2.9). Seeds follow §2.11: the run's seed seeds the torch generator that draws
the initial weights and then the reparameterisation noise and FactorVAE's code permutations; a
``RandomState(seed)`` gives, by its first and second ``randint(2**32)``, the seeds of the training
data stream and of the post-training evaluation stream.

Checkpoints (a single directory of plain files, the last one kept, §2.11) hold the weights, the
optimiser states, the noise generator and data RandomState states and the step, so that resuming
reproduces an uninterrupted run exactly on CPU.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from disentbench.datasets.base import GroundTruthData
from disentbench.errors import DataFileError, UserError
from disentbench.io import write_json_atomic
from disentbench.models import objectives
from disentbench.models.config import TrainConfig
from disentbench.models.data_stream import BatchStream, draw_batch
from disentbench.models.methods import MethodSpec, get_method
from disentbench.models.networks import Decoder, Discriminator, Encoder, initialize_
from disentbench.models.trained import TrainedModel

logger = logging.getLogger(__name__)

#: Per-iteration values tracked for logging and divergence checks, in this order.
LOSS_KEYS = ("loss", "reconstruction_loss", "kl_loss", "regularizer", "discriminator_loss")
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
)
CHECKPOINT_FORMAT_VERSION = 1

LogFunction = Callable[[int, dict[str, float]], None]
CheckpointCallback = Callable[[int, Path], None]


class TrainingDiverged(Exception):
    """A loss became NaN or infinite; names the iteration and the last finite values."""

    def __init__(self, step: int, values: Mapping[str, float], last_finite: Mapping[str, float] | None):
        self.step = step
        self.values = dict(values)
        self.last_finite = dict(last_finite) if last_finite is not None else None
        shown = ", ".join(f"{k}={v:.6g}" for k, v in self.values.items())
        last = (
            ", ".join(f"{k}={v:.6g}" for k, v in self.last_finite.items())
            if self.last_finite
            else "none (diverged on the first iteration)"
        )
        super().__init__(
            f"training diverged at iteration {step} (0-based): {shown}; last finite values: {last}"
        )


def derive_seeds(seed: int) -> tuple[int, int]:
    """Seeds of the training and evaluation data streams: the first two ``randint(2**32)`` (§2.11)."""
    rs = np.random.RandomState(seed)
    return int(rs.randint(2**32)), int(rs.randint(2**32))


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is a ``UserError``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device: {name!r} requested but CUDA is not available")
    return device


@dataclass
class Networks:
    """The trainable parts of one run."""

    encoder: Encoder
    decoder: Decoder
    discriminator: Discriminator | None = None

    def vae_parameters(self) -> list[torch.nn.Parameter]:
        return [*self.encoder.parameters(), *self.decoder.parameters()]

    def modules(self) -> dict[str, torch.nn.Module]:
        parts: dict[str, torch.nn.Module] = {"encoder": self.encoder, "decoder": self.decoder}
        if self.discriminator is not None:
            parts["discriminator"] = self.discriminator
        return parts


def build_networks(num_channels: int, spec: MethodSpec, generator: torch.Generator) -> Networks:
    """Encoder, decoder (and discriminator) initialised from ``generator`` in that order (§2.5)."""
    encoder = initialize_(Encoder(num_channels), generator)
    decoder = initialize_(Decoder(num_channels), generator)
    discriminator = initialize_(Discriminator(), generator) if spec.uses_discriminator else None
    return Networks(encoder, decoder, discriminator)  # type: ignore[arg-type]


@dataclass
class Losses:
    """The loss terms of one batch (all scalars) and the encoder outputs they came from."""

    reconstruction: torch.Tensor
    kl: torch.Tensor
    regularizer: torch.Tensor
    loss: torch.Tensor
    outputs: objectives.EncoderOutputs


def compute_losses(
    spec: MethodSpec,
    params: Mapping[str, float],
    nets: Networks,
    x: torch.Tensor,
    step: int | torch.Tensor,
    generator: torch.Generator | None,
    eps: torch.Tensor | None = None,
) -> Losses:
    """Forward pass and loss = R + regulariser for one batch (§2.6–2.8), z sampled from ``generator``
    (or with the given standard-normal ``eps``)."""
    mean, logvar = nets.encoder(x)
    z = objectives.sample_gaussian(mean, logvar, generator, eps)
    reconstruction = objectives.reconstruction_loss(nets.decoder(z), x)
    kl = objectives.gaussian_kl(mean, logvar)
    disc_logits = nets.discriminator(z) if nets.discriminator is not None else None
    outputs = objectives.EncoderOutputs(mean, logvar, z, kl, step, disc_logits)
    regularizer = spec.regularize(outputs, params)
    return Losses(reconstruction, kl, regularizer, reconstruction + regularizer, outputs)


def factor_vae_gradients(
    losses: Losses, nets: Networks, generator: torch.Generator | None, keys: torch.Tensor | None = None
) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
    """Gradients of FactorVAE's two simultaneous updates from one forward pass (§2.9).

    The VAE gradient is ∇_{enc,dec} L_VAE (it flows through the discriminator into z, but no
    discriminator gradient is formed); the discriminator gradient is ∇_D L_D on the detached,
    same-batch-permuted codes (no encoder gradient is formed). Returns both lists and L_D.
    """
    assert nets.discriminator is not None and losses.outputs.discriminator_logits is not None
    shuffled = objectives.shuffle_codes(losses.outputs.z.detach(), generator, keys)
    disc_loss = objectives.discriminator_loss(
        losses.outputs.discriminator_logits, nets.discriminator(shuffled)
    )
    vae_grads = torch.autograd.grad(losses.loss, nets.vae_parameters(), retain_graph=True)
    disc_grads = torch.autograd.grad(disc_loss, list(nets.discriminator.parameters()))
    return list(vae_grads), list(disc_grads), disc_loss


def _set_grads(params: Sequence[torch.nn.Parameter], grads: Sequence[torch.Tensor]) -> None:
    for p, g in zip(params, grads, strict=True):
        p.grad = g


def _adam(
    params: Sequence[torch.nn.Parameter],
    lr: float,
    betas: tuple[float, float],
    eps: float,
    capturable: bool = False,
) -> torch.optim.Adam:
    """Adam with the fused kernel where this torch build has one (same maths, fewer passes);
    ``capturable`` keeps its step counts on the device so a CUDA graph can replay the update."""
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, fused=True, capturable=capturable)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, capturable=capturable)


class _Run:
    """State of one training run (networks, optimisers, generators, data stream, counters)."""

    def __init__(self, config: TrainConfig, data: GroundTruthData, device: torch.device):
        self.config = config
        self.spec = get_method(config.method)
        self.params = config.resolved_params
        self.device = device
        shape = tuple(data.observation_shape)
        if len(shape) != 3 or shape[1:] != (64, 64) or shape[0] not in (1, 3):
            raise UserError(f"data set {config.dataset!r}: expected observations (C, 64, 64), got {shape}")
        self.num_channels = int(shape[0])
        init_generator = torch.Generator().manual_seed(config.seed)
        self.nets = build_networks(self.num_channels, self.spec, init_generator)
        for module in self.nets.modules().values():
            module.to(device).train()
        # Channels-last convolutions are markedly faster on CPU (oneDNN) and on recent GPUs; the
        # maths is unchanged (flatten/reshape keep their logical NCHW order).
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        self.nets.encoder.to(memory_format=self.memory_format)
        self.nets.decoder.to(memory_format=self.memory_format)
        # The noise stream continues the seeded init stream on CPU; on CUDA it is seeded from it.
        if device.type == "cpu":
            self.noise = init_generator
        else:
            noise_seed = int(torch.randint(2**62, (1,), generator=init_generator))
            self.noise = torch.Generator(device=device).manual_seed(noise_seed)
        # On CUDA one iteration is captured once as a CUDA graph and replayed (the step is
        # launch-bound at batch 64); random draws stay outside the graph, in the same order.
        self.use_graphs = device.type == "cuda" and config.cuda_graphs
        self.graph: torch.cuda.CUDAGraph | None = None
        self.graph_warmup = 0
        self.static: dict[str, torch.Tensor] = {}
        self.vae_optimizer = _adam(
            self.nets.vae_parameters(),
            config.learning_rate,
            (config.adam_beta1, config.adam_beta2),
            config.adam_epsilon,
            self.use_graphs,
        )
        self.disc_optimizer = None
        if self.nets.discriminator is not None:
            self.disc_optimizer = _adam(
                list(self.nets.discriminator.parameters()),
                config.discriminator_learning_rate,
                (config.discriminator_beta1, config.discriminator_beta2),
                config.discriminator_epsilon,
                self.use_graphs,
            )
        self.train_seed, self.eval_seed = derive_seeds(config.seed)
        self.data_state: Any = np.random.RandomState(self.train_seed).get_state()
        self.step = 0
        self.elapsed = 0.0
        self.last_finite: dict[str, float] | None = None

    # --- one iteration ---------------------------------------------------------------------

    def iterate(self, x: torch.Tensor) -> torch.Tensor:
        """One training iteration on batch ``x``; returns the detached loss values (LOSS_KEYS order).

        The noise ε (and FactorVAE's permutation keys) are drawn first, in that order, from the
        run's generator, then the update runs eagerly or as a CUDA-graph replay.
        """
        shape = (x.shape[0], self.nets.encoder.num_latents)
        eps = torch.randn(shape, generator=self.noise, device=self.device)
        keys = None
        if self.disc_optimizer is not None:
            keys = torch.rand(shape, generator=self.noise, device=self.device)
        if not self.use_graphs:
            return self._update(x, eps, keys, self.step)
        return self._graph_update(x, eps, keys)

    def _graph_update(self, x: torch.Tensor, eps: torch.Tensor, keys: torch.Tensor | None) -> torch.Tensor:
        """Three eager warm-up iterations on a side stream, then capture once and replay."""
        step = torch.tensor(float(self.step), device=self.device)
        if self.graph is None and self.graph_warmup < 3:
            self.graph_warmup += 1
            stream = torch.cuda.Stream(self.device)
            stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(stream):
                values = self._update(x, eps, keys, step)
            torch.cuda.current_stream(self.device).wait_stream(stream)
            return values
        if self.graph is None:
            self.static = {"x": x.clone(), "eps": eps.clone(), "step": step}
            if keys is not None:
                self.static["keys"] = keys.clone()
            self.vae_optimizer.zero_grad(set_to_none=True)
            if self.disc_optimizer is not None:
                self.disc_optimizer.zero_grad(set_to_none=True)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self.static["values"] = self._update(
                    self.static["x"], self.static["eps"], self.static.get("keys"), self.static["step"]
                )
            self.graph = graph
        else:
            self.static["x"].copy_(x)
            self.static["eps"].copy_(eps)
            self.static["step"].copy_(step)
            if keys is not None:
                self.static["keys"].copy_(keys)
        self.graph.replay()
        return self.static["values"].clone()

    def _update(
        self, x: torch.Tensor, eps: torch.Tensor, keys: torch.Tensor | None, step: int | torch.Tensor
    ) -> torch.Tensor:
        """Forward pass, gradients and the optimiser step(s) of one iteration (§2.9, §2.10)."""
        losses = compute_losses(self.spec, self.params, self.nets, x, step, None, eps)
        if self.disc_optimizer is None:
            self.vae_optimizer.zero_grad(set_to_none=True)
            losses.loss.backward()
            self.vae_optimizer.step()
            disc_loss = torch.zeros((), device=x.device)
        else:
            vae_grads, disc_grads, disc_loss = factor_vae_gradients(losses, self.nets, None, keys)
            _set_grads(self.nets.vae_parameters(), vae_grads)
            _set_grads(list(self.nets.discriminator.parameters()), disc_grads)  # type: ignore[union-attr]
            self.vae_optimizer.step()
            self.disc_optimizer.step()
        values = (losses.loss, losses.reconstruction, losses.kl, losses.regularizer, disc_loss)
        return torch.stack([v.detach() for v in values])

    # --- checkpoints -----------------------------------------------------------------------

    def save_checkpoint(self, directory: Path) -> None:
        """Write ``ckpt-<step>/`` then point ``latest.json`` at it, then drop older checkpoints."""
        directory.mkdir(parents=True, exist_ok=True)
        name = f"ckpt-{self.step:09d}"
        tmp = directory / f".{name}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        tensors = {
            f"{part}.{k}": v.detach().cpu().contiguous()
            for part, module in self.nets.modules().items()
            for k, v in module.state_dict().items()
        }
        save_file(tensors, str(tmp / "weights.safetensors"))
        keys, pos, has_gauss, cached = self.data_state[1:]
        state = {
            "format_version": CHECKPOINT_FORMAT_VERSION,
            "step": self.step,
            "elapsed_seconds": self.elapsed,
            "vae_optimizer": self.vae_optimizer.state_dict(),
            "discriminator_optimizer": self.disc_optimizer.state_dict() if self.disc_optimizer else None,
            "noise_generator": self.noise.get_state(),
            "noise_device": self.noise.device.type,
            "data_random_state": {
                "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "cached_gaussian": float(cached),
            },
            "last_finite": self.last_finite,
        }
        torch.save(state, tmp / "trainer_state.pt")
        write_json_atomic(tmp / "config.json", self.config.to_dict())
        final = directory / name
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        write_json_atomic(directory / "latest.json", {"checkpoint": name, "step": self.step})
        for old in directory.glob("ckpt-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)

    def load_checkpoint(self, directory: Path) -> bool:
        """Restore from ``directory`` if it holds a checkpoint; return whether one was loaded."""
        latest = directory / "latest.json"
        if not latest.is_file():
            return False
        try:
            pointer = json.loads(latest.read_text(encoding="utf-8"))
            path = directory / str(pointer["checkpoint"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataFileError(f"{latest}: unreadable checkpoint pointer ({exc})") from None
        saved = json.loads((path / "config.json").read_text(encoding="utf-8"))
        for field_name in RESUME_FIELDS:
            if saved.get(field_name) != getattr(self.config, field_name):
                raise UserError(
                    f"{path}: checkpoint has {field_name}={saved.get(field_name)!r}, "
                    f"this run has {getattr(self.config, field_name)!r}; refusing to resume"
                )
        if saved.get("resolved_params") != self.params:
            raise UserError(
                f"{path}: checkpoint has params {saved.get('resolved_params')}, this run has {self.params}"
            )
        tensors = load_file(str(path / "weights.safetensors"))
        for part, module in self.nets.modules().items():
            sub = {k[len(part) + 1 :]: v for k, v in tensors.items() if k.startswith(part + ".")}
            try:
                module.load_state_dict(sub)
            except RuntimeError as exc:
                raise DataFileError(f"{path}: {part} weights do not fit ({exc})") from None
        state = torch.load(path / "trainer_state.pt", map_location="cpu", weights_only=True)
        if state.get("format_version") != CHECKPOINT_FORMAT_VERSION:
            raise DataFileError(f"{path / 'trainer_state.pt'}: unknown checkpoint format")
        self.vae_optimizer.load_state_dict(state["vae_optimizer"])
        if self.disc_optimizer is not None:
            self.disc_optimizer.load_state_dict(state["discriminator_optimizer"])
        if state["noise_device"] != self.noise.device.type:
            raise UserError(
                f"{path}: checkpoint was written on {state['noise_device']}, cannot resume on "
                f"{self.noise.device.type} with the same random streams"
            )
        self.noise.set_state(state["noise_generator"])
        rs = state["data_random_state"]
        self.data_state = (
            "MT19937",
            rs["keys"].numpy().astype(np.uint32),
            rs["pos"],
            rs["has_gauss"],
            rs["cached_gaussian"],
        )
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed_seconds"])
        self.last_finite = state["last_finite"]
        return True


def train(
    config: TrainConfig,
    data: GroundTruthData,
    *,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    checkpoint_every: int | None = None,
    on_checkpoint: CheckpointCallback | None = None,
    log: LogFunction | None = None,
) -> TrainedModel:
    """Train ``config`` on ``data`` and return the trained model with its statistics (§2.11).

    If ``checkpoint_dir`` holds a checkpoint, training resumes from it. A checkpoint is written
    every ``checkpoint_every`` iterations (default ``config.checkpoint_every``) and at the end;
    ``on_checkpoint(step, checkpoint_dir)`` is called after each write. ``log(step, means)``
    receives the mean losses of each ``config.log_every`` interval (default: the ``logging``
    module). A non-finite loss raises :class:`TrainingDiverged`.
    """
    config.validate()
    device = resolve_device(config.device)
    previous_threads = torch.get_num_threads()
    if config.num_threads is not None:
        torch.set_num_threads(config.num_threads)
    try:
        return _train(config, data, device, checkpoint_dir, checkpoint_every, on_checkpoint, log)
    finally:
        if config.num_threads is not None:
            torch.set_num_threads(previous_threads)


def _train(
    config: TrainConfig,
    data: GroundTruthData,
    device: torch.device,
    checkpoint_dir: str | os.PathLike[str] | None,
    checkpoint_every: int | None,
    on_checkpoint: CheckpointCallback | None,
    log: LogFunction | None,
) -> TrainedModel:
    run = _Run(config, data, device)
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    resumed_from = None
    if ckpt_dir is not None and run.load_checkpoint(ckpt_dir):
        resumed_from = run.step
        logger.info("resuming %s from iteration %d (%s)", config.method, run.step, ckpt_dir)
    every = checkpoint_every or config.checkpoint_every
    total = config.num_iterations
    log_fn = log or _default_log(config.method, total)
    # On CPU each iteration is checked at once; on a GPU, values are fetched in windows so the
    # host does not wait for the device every iteration (the failing iteration is still exact).
    sync_every = 1 if device.type == "cpu" else 50
    window: list[torch.Tensor] = []
    interval_sum = np.zeros(len(LOSS_KEYS))
    interval_count = 0
    last_interval: dict[str, float] = {}
    random_state = np.random.RandomState()
    random_state.set_state(run.data_state)
    stream = BatchStream(
        data, config.batch_size, random_state, mode=config.data_stream, prefetch=2 if config.prefetch else 0
    )
    start_step = run.step
    started = time.perf_counter()
    try:
        while run.step < total:
            batch = stream.next()
            x = torch.from_numpy(batch).to(device, non_blocking=True)
            x = x.contiguous(memory_format=run.memory_format)
            if run.step == start_step and batch.shape[1:] != (run.num_channels, 64, 64):
                raise UserError(f"data set {config.dataset!r}: batch shape {batch.shape} does not fit")
            window.append(run.iterate(x))
            run.step += 1
            run.data_state = stream.state()
            log_due = run.step % config.log_every == 0
            ckpt_due = ckpt_dir is not None and run.step % every == 0
            if len(window) >= sync_every or log_due or ckpt_due or run.step == total:
                rows = torch.stack(window).cpu().numpy().astype(np.float64)
                first = run.step - len(window)
                window = []
                for offset, row in enumerate(rows):
                    values = _named(row, run.spec)
                    if not np.all(np.isfinite(row)):
                        raise TrainingDiverged(first + offset, values, run.last_finite)
                    run.last_finite = values
                interval_sum += rows.sum(axis=0)
                interval_count += len(rows)
            if log_due and interval_count:
                last_interval = _named(interval_sum / interval_count, run.spec)
                log_fn(run.step, last_interval)
                interval_sum[:] = 0
                interval_count = 0
            if ckpt_due or (ckpt_dir is not None and run.step == total and run.step != start_step):
                run.elapsed += time.perf_counter() - started
                started = time.perf_counter()
                run.save_checkpoint(ckpt_dir)  # type: ignore[arg-type]
                if on_checkpoint is not None:
                    on_checkpoint(run.step, ckpt_dir)  # type: ignore[arg-type]
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        run.elapsed += time.perf_counter() - started
    finally:
        stream.close()
    trained_steps = run.step - start_step
    eval_started = time.perf_counter()
    scores = unsupervised_scores(run.spec, run.params, run.nets, data, config, run.eval_seed, device)
    eval_seconds = time.perf_counter() - eval_started
    stats: dict[str, Any] = {
        **scores,
        "iterations": total,
        "global_steps": config.steps,
        "factor_vae_reference_steps": config.factor_vae_reference_steps,
        "train_seconds": run.elapsed,
        "eval_seconds": eval_seconds,
        "steps_per_second": trained_steps / run.elapsed if run.elapsed > 0 and trained_steps else None,
        "images_per_second": (
            trained_steps * config.batch_size / run.elapsed if run.elapsed > 0 and trained_steps else None
        ),
        "device": device_name(device),
        "num_threads": torch.get_num_threads(),
        "data_stream": config.data_stream,
        "train_data_seed": run.train_seed,
        "eval_data_seed": run.eval_seed,
        "eval_batches": config.eval_batches,
        "resumed_from_step": resumed_from,
        "last_train_losses": last_interval or run.last_finite or {},
    }
    for module in run.nets.modules().values():
        module.eval()
    return TrainedModel(config, run.nets.encoder, run.nets.decoder, stats)


@torch.no_grad()
def unsupervised_scores(
    spec: MethodSpec,
    params: Mapping[str, float],
    nets: Networks,
    data: GroundTruthData,
    config: TrainConfig,
    eval_seed: int,
    device: torch.device,
) -> dict[str, float]:
    """Training-time unsupervised scores over ``config.eval_batches`` fresh batches (§2.11).

    Means of ``reconstruction_loss``, ``kl_loss``, ``regularizer``, ``loss`` (= R + regulariser) and
    ``elbo`` (= −(R + KL)) with sampled z, on a stream seeded by the second draw of
    ``RandomState(seed)``. The regulariser is evaluated at the final step (AnnealedVAE's C).
    The reference omits ``elbo`` for FactorVAE; we report it for every method.
    """
    if config.eval_batches == 0:
        return {}
    rs = np.random.RandomState(eval_seed)
    generator = torch.Generator(device=device).manual_seed(eval_seed)
    sums = np.zeros(4)
    logger.info("training-time scores over %d batches", config.eval_batches)
    block = max(1, config.eval_batches // 10)  # ten progress lines (1,000 batches: minutes on a CPU)
    for done in range(1, config.eval_batches + 1):
        x = torch.from_numpy(draw_batch(data, config.batch_size, rs, config.data_stream)).to(device)
        losses = compute_losses(spec, params, nets, x, config.num_iterations, generator)
        sums += torch.stack([losses.reconstruction, losses.kl, losses.regularizer, losses.loss]).cpu().numpy()
        if done % block == 0 and done < config.eval_batches:
            logger.info("training-time scores: batch %d/%d", done, config.eval_batches)
    rec, kl, reg, loss = (sums / config.eval_batches).tolist()
    return {"reconstruction_loss": rec, "kl_loss": kl, "regularizer": reg, "loss": loss, "elbo": -(rec + kl)}


def _named(row: np.ndarray, spec: MethodSpec) -> dict[str, float]:
    keys = LOSS_KEYS if spec.uses_discriminator else LOSS_KEYS[:-1]
    return {k: float(v) for k, v in zip(keys, row, strict=False)}


def device_name(device: torch.device) -> str:
    """How records name a device: ``cpu``, or ``cuda:<GPU model>``."""
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return "cpu"


def _default_log(method: str, total: int) -> LogFunction:
    def log(step: int, values: dict[str, float]) -> None:
        shown = " ".join(f"{k}={v:.4g}" for k, v in values.items())
        logger.info("%s iteration %d/%d %s", method, step, total, shown)

    return log


__all__ = [
    "LOSS_KEYS",
    "Losses",
    "Networks",
    "TrainingDiverged",
    "build_networks",
    "compute_losses",
    "derive_seeds",
    "device_name",
    "factor_vae_gradients",
    "resolve_device",
    "train",
    "unsupervised_scores",
]
