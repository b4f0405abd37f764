"""``TrainConfig``: everything that fixes one training run (docs/reference/models.md §2.8–2.11), as data.

Defaults are the reference's: batch 64, Adam(1e-4, 0.9, 0.999, 1e-8) for the VAE and
Adam(1e-4, 0.5, 0.9, 1e-8) for the FactorVAE discriminator (§2.10), 1000 evaluation batches for
the training-time unsupervised scores (§2.11). ``factor_vae_reference_steps`` reproduces the
reference's halved FactorVAE iteration count (§2.9); it is on by default and recorded.
``data_stream``, ``prefetch``, ``channels_last`` and ``cuda_graphs`` (CUDA only: capture one
iteration as a CUDA graph and replay it) only change speed, float rounding and the order of random
draws (docs/deviations.md, "Models"), never the model or the objective; ``channels_last`` lays out
the convolutions of one model at a time (solo runs, CPU packs), while a pack vmapped on an
accelerator runs channels-first (recorded as ``training_stats["conv_layout"]``). ``convolutions``
(``native``, by default; ``matmul``: the same convolutions as matrix products,
``disentbench.models.matmul_conv``) is also a speed and rounding choice; the trained model is
saved and evaluated with native convolutions either way; ``torch_compile`` compiles the forward
pass and its gradient with ``torch.compile`` (fused kernels; compiled once per process, float
rounding differs). ``precision`` (``fp32``,
the reference's, by default; ``tf32``; ``bf16``) says how the arithmetic is done
(``disentbench.models.devices``) and is recorded with the model.

:func:`pack_key`: configs with equal keys differ only in hyper-parameter values and seed, so they
can be trained together as one pack (``disentbench.models.pack_trainer``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from disentbench.errors import UserError
from disentbench.models.matmul_conv import CONVOLUTIONS
from disentbench.models.methods import get_method

#: How training batches are drawn from the data set's RandomState (docs/deviations.md, Models).
DATA_STREAMS = ("batched", "per_observation")
#: Arithmetic of the training step (``disentbench.models.devices`` says what each does).
PRECISIONS = ("fp32", "tf32", "bf16")
#: The fields in which the members of one pack may differ.
PER_MODEL_FIELDS = ("params", "seed")


@dataclass
class TrainConfig:
    """One training run. ``validate()`` (called by ``train``) names the first bad field."""

    dataset: str
    method: str
    params: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    steps: int = 300_000
    batch_size: int = 64
    learning_rate: float = 1e-4
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    discriminator_learning_rate: float = 1e-4
    discriminator_beta1: float = 0.5
    discriminator_beta2: float = 0.9
    discriminator_epsilon: float = 1e-8
    log_every: int = 1000
    checkpoint_every: int = 10_000
    eval_batches: int = 1000
    device: str = "auto"
    num_threads: int | None = None
    factor_vae_reference_steps: bool = True
    data_stream: str = "batched"
    prefetch: bool = True
    channels_last: bool = True
    cuda_graphs: bool = True
    precision: str = "fp32"
    convolutions: str = "native"
    torch_compile: bool = False

    def validate(self) -> TrainConfig:
        """Check every field; raise ``UserError`` naming the field and what was expected."""
        if not isinstance(self.dataset, str) or not self.dataset:
            raise UserError(f"dataset: expected a data-set name, got {self.dataset!r}")
        spec = get_method(self.method)
        if not isinstance(self.params, Mapping):
            raise UserError(f"params: expected a mapping of parameter names to numbers, got {self.params!r}")
        spec.resolve_params(self.params)
        _int_field(self, "seed", minimum=0)
        _int_field(self, "steps", minimum=1)
        _int_field(self, "batch_size", minimum=2)
        _int_field(self, "log_every", minimum=1)
        _int_field(self, "checkpoint_every", minimum=1)
        _int_field(self, "eval_batches", minimum=0)
        for name in (
            "learning_rate",
            "adam_epsilon",
            "discriminator_learning_rate",
            "discriminator_epsilon",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise UserError(f"{name}: expected a positive number, got {value!r}")
        for name in ("adam_beta1", "adam_beta2", "discriminator_beta1", "discriminator_beta2"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise UserError(f"{name}: expected a number in [0, 1), got {value!r}")
        if not isinstance(self.device, str) or not (
            self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")
        ):
            raise UserError(f"device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', got {self.device!r}")
        if self.num_threads is not None:
            _int_field(self, "num_threads", minimum=1)
        for name in (
            "factor_vae_reference_steps",
            "prefetch",
            "channels_last",
            "cuda_graphs",
            "torch_compile",
        ):
            if not isinstance(getattr(self, name), bool):
                raise UserError(f"{name}: expected true or false, got {getattr(self, name)!r}")
        if self.data_stream not in DATA_STREAMS:
            raise UserError(
                f"data_stream: expected one of {', '.join(DATA_STREAMS)}, got {self.data_stream!r}"
            )
        if self.precision not in PRECISIONS:
            raise UserError(f"precision: expected one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.convolutions not in CONVOLUTIONS:
            raise UserError(
                f"convolutions: expected one of {', '.join(CONVOLUTIONS)}, got {self.convolutions!r}"
            )
        return self

    @property
    def resolved_params(self) -> dict[str, float]:
        """The method's parameters with defaults filled in (what the regulariser receives)."""
        return get_method(self.method).resolve_params(self.params)

    @property
    def num_iterations(self) -> int:
        """Optimiser iterations actually run.

        ``steps`` for every method, except FactorVAE with ``factor_vae_reference_steps``: the
        reference advances its global step by 2 per iteration and stops at the first iteration k
        with 2k − 1 ≥ steps (§2.9: 51 iterations for steps = 100), i.e. k = ⌈(steps + 1)/2⌉.
        """
        if self.method == "factor_vae" and self.factor_vae_reference_steps:
            return math.ceil((self.steps + 1) / 2)
        return self.steps

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (with ``resolved_params`` and ``num_iterations`` for the record)."""
        out = dataclasses.asdict(self)
        out["params"] = dict(self.params)
        out["resolved_params"] = self.resolved_params
        out["num_iterations"] = self.num_iterations
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``UserError``. Derived keys are ignored."""
        if not isinstance(data, Mapping):
            raise UserError(f"train config: expected a mapping, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names - {"resolved_params", "num_iterations"})
        if unknown:
            raise UserError(f"train config: unknown field(s) {', '.join(unknown)}")
        missing = [n for n in ("dataset", "method") if n not in data]
        if missing:
            raise UserError(f"train config: missing field(s) {', '.join(missing)}")
        config = cls(**{k: v for k, v in data.items() if k in names})
        config.params = dict(config.params) if isinstance(config.params, Mapping) else config.params
        return config.validate()


def pack_key(config: TrainConfig) -> tuple[tuple[str, Any], ...]:
    """Everything but the hyper-parameter values and the seed: configs with equal keys may share a pack.

    Equal keys mean the same data set, method, steps, batch size, optimiser settings, data stream,
    device, precision and checkpoint/log cadence, so one loop can drive all of them.
    """
    return tuple(
        (f.name, getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name not in PER_MODEL_FIELDS
    )


def _int_field(config: TrainConfig, name: str, *, minimum: int) -> None:
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UserError(f"{name}: expected an integer ≥ {minimum}, got {value!r}")
