"""A trained model: its config, networks and training statistics; saving and loading (docs/reference/models.md
§2.12).

A saved model is a directory of plain files::

    model.json            format marker, number of channels and latents (written last)
    config.json           the full TrainConfig
    training_stats.json   training-time statistics and unsupervised scores (§2.11)
    weights.safetensors   encoder.* and decoder.* tensors

The representation functions are the reference's post-processings: ``mean`` r(x) = μ(x) (the
paper's disentanglement results) and ``sampled`` r(x) = μ(x) + σ(x)⊙ε, ε fresh on each call from a
seeded generator.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from disentbench.errors import DataFileError, UserError
from disentbench.io import write_json_atomic
from disentbench.models.checkpoints import load_tensors, module_tensors, save_tensors
from disentbench.models.config import TrainConfig
from disentbench.models.networks import NUM_LATENTS, Decoder, Encoder
from disentbench.seeds import REPRESENTATIONS

MODEL_FORMAT = "disentbench-model"
MODEL_FORMAT_VERSION = 1

RepresentationFunction = Callable[[np.ndarray], np.ndarray]


class TrainedModel:
    """Encoder and decoder of a finished run, with its config and training statistics."""

    def __init__(
        self,
        config: TrainConfig,
        encoder: Encoder,
        decoder: Decoder,
        training_stats: Mapping[str, Any] | None = None,
    ):
        self.config = config
        # Plain NCHW layout, so that a model in memory and the same model loaded from disk compute
        # bit-identical representations (training may have used channels-last).
        self.encoder = encoder.to(memory_format=torch.contiguous_format).eval()
        self.decoder = decoder.to(memory_format=torch.contiguous_format).eval()
        self.training_stats: dict[str, Any] = dict(training_stats or {})

    @property
    def device(self) -> torch.device:
        return next(self.encoder.parameters()).device

    @property
    def num_channels(self) -> int:
        return self.encoder.num_channels

    def to(self, device: str | torch.device) -> TrainedModel:
        """Move the networks to ``device`` (returns self)."""
        self.encoder.to(device)
        self.decoder.to(device)
        return self

    @torch.inference_mode()
    def encode(self, observations: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, logvar)`` of the encoder, float32 ``(n, 10)`` each, computed in batches.

        Batches run on the model's device; on an accelerator pass a large ``batch_size`` (e.g.
        4096): the codes stay on the device until one copy back at the end, and host batches are
        copied from pinned memory without blocking.
        """
        x = self._check_observations(observations)
        if x.shape[0] == 0:
            empty = np.zeros((0, self.encoder.num_latents), np.float32)
            return empty, empty.copy()
        device = self.device
        means, logvars = [], []
        for start in range(0, x.shape[0], batch_size):
            chunk = torch.from_numpy(x[start : start + batch_size])
            if device.type == "cuda":
                chunk = chunk.pin_memory().to(device, non_blocking=True)
            mean, logvar = self.encoder(chunk)
            means.append(mean.float())
            logvars.append(logvar.float())
        return torch.cat(means).cpu().numpy(), torch.cat(logvars).cpu().numpy()

    def representation_function(
        self, kind: str = "mean", seed: int = 0, batch_size: int = 64
    ) -> RepresentationFunction:
        """numpy ``(n, C, 64, 64)`` float32 → numpy ``(n, 10)`` float32, as the metrics expect.

        ``mean``: μ(x). ``sampled``: μ(x) + exp(ℓ(x)/2)·ε with ε from a CPU generator seeded with
        ``seed`` that advances across calls (fresh noise each call, reproducible per seed).
        """
        if kind not in REPRESENTATIONS:
            raise UserError(f"representation: expected one of {', '.join(REPRESENTATIONS)}, got {kind!r}")
        if kind == "mean":
            return lambda observations: self.encode(observations, batch_size)[0]
        return sampled_representation(lambda observations: self.encode(observations, batch_size), seed)

    @torch.no_grad()
    def decode(self, z: np.ndarray | torch.Tensor, *, probabilities: bool = False) -> np.ndarray:
        """Decoder output for codes ``(n, 10)``: Bernoulli logits ``(n, C, 64, 64)`` (or sigmoid of them)."""
        codes = torch.as_tensor(np.asarray(z, dtype=np.float32)).to(self.device)
        if codes.ndim != 2 or codes.shape[1] != self.decoder.num_latents:
            raise UserError(f"z: expected shape (n, {self.decoder.num_latents}), got {tuple(codes.shape)}")
        logits = self.decoder(codes)
        return (torch.sigmoid(logits) if probabilities else logits).float().cpu().numpy()

    def _check_observations(self, observations: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(observations, dtype=np.float32)
        expected = (self.num_channels, 64, 64)
        if x.ndim != 4 or x.shape[1:] != expected:
            shown = ", ".join(map(str, expected))
            raise UserError(f"observations: expected shape (n, {shown}), got {x.shape}")
        return x

    # --- persistence -------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the model directory (each file atomically, ``model.json`` last) and return its path."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        save_tensors(
            out / "weights.safetensors", module_tensors({"encoder": self.encoder, "decoder": self.decoder})
        )
        write_json_atomic(out / "config.json", self.config.to_dict())
        write_json_atomic(out / "training_stats.json", self.training_stats)
        write_json_atomic(
            out / "model.json",
            {
                "format": MODEL_FORMAT,
                "version": MODEL_FORMAT_VERSION,
                "num_channels": self.num_channels,
                "num_latents": self.encoder.num_latents,
            },
        )
        return out

    @classmethod
    def load(cls, directory: str | os.PathLike[str], device: str | torch.device = "cpu") -> TrainedModel:
        """Read a model directory written by :meth:`save`, validating config, keys and shapes."""
        root = Path(directory)
        manifest = _read_json(root / "model.json")
        if manifest.get("format") != MODEL_FORMAT or manifest.get("version") != MODEL_FORMAT_VERSION:
            raise DataFileError(
                f"{root / 'model.json'}: expected format {MODEL_FORMAT!r} version {MODEL_FORMAT_VERSION}, "
                f"got {manifest.get('format')!r} version {manifest.get('version')!r}"
            )
        num_channels = manifest.get("num_channels")
        num_latents = manifest.get("num_latents", NUM_LATENTS)
        if num_channels not in (1, 3) or not isinstance(num_latents, int) or num_latents < 1:
            raise DataFileError(f"{root / 'model.json'}: bad num_channels/num_latents {manifest!r}")
        try:
            config = TrainConfig.from_dict(_read_json(root / "config.json"))
        except UserError as exc:
            raise DataFileError(f"{root / 'config.json'}: {exc}") from None
        stats = _read_json(root / "training_stats.json")
        weights_path = root / "weights.safetensors"
        tensors = load_tensors(weights_path)
        encoder = Encoder(num_channels, num_latents)
        decoder = Decoder(num_channels, num_latents)
        _load_checked(encoder, tensors, "encoder.", weights_path)
        _load_checked(decoder, tensors, "decoder.", weights_path)
        extra = sorted(k for k in tensors if not k.startswith(("encoder.", "decoder.")))
        if extra:
            raise DataFileError(f"{weights_path}: unexpected tensors {', '.join(extra[:5])}")
        return cls(config, encoder, decoder, stats).to(device)


def sampled_representation(
    gaussian_encoder: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], seed: int
) -> RepresentationFunction:
    """The ``sampled`` post-processing of a Gaussian encoder ``x → (μ, log σ²)``: μ + exp(ℓ/2)·ε.

    ε comes from a CPU generator seeded with ``seed`` that advances across calls (fresh noise
    each call, reproducible per seed); shared by saved models and exported encoders, so both
    give the same sampled codes.
    """
    generator = torch.Generator().manual_seed(int(seed))

    def sampled(observations: np.ndarray) -> np.ndarray:
        mean, logvar = gaussian_encoder(observations)
        eps = torch.randn(mean.shape, generator=generator, dtype=torch.float32).numpy()
        return (mean + np.exp(0.5 * logvar) * eps).astype(np.float32)

    return sampled


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataFileError(f"{path}: missing (not a saved disentbench model directory?)")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path}: cannot read JSON ({exc})") from None
    if not isinstance(value, dict):
        raise DataFileError(f"{path}: expected a JSON object")
    return value


def _load_checked(
    module: torch.nn.Module, tensors: Mapping[str, torch.Tensor], prefix: str, path: Path
) -> None:
    """Load ``prefix``-ed tensors into ``module``; missing keys or wrong shapes raise ``DataFileError``."""
    state = {}
    for key, expected in module.state_dict().items():
        name = prefix + key
        if name not in tensors:
            raise DataFileError(f"{path}: missing tensor {name}")
        got = tensors[name]
        if tuple(got.shape) != tuple(expected.shape):
            raise DataFileError(
                f"{path}: tensor {name} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
            )
        state[key] = got
    unexpected = sorted(k for k in tensors if k.startswith(prefix) and k[len(prefix) :] not in state)
    if unexpected:
        raise DataFileError(f"{path}: unexpected tensors {', '.join(unexpected[:5])}")
    module.load_state_dict(state)
