"""``export-encoder``: a saved disentbench model as one TorchScript file (the encoder only).

The file holds a scripted module whose ``forward(x)`` is the **mean** representation μ(x) and
whose ``gaussian_encoder(x)`` returns ``(μ, log σ²)`` (the reference's TF-Hub module has the same
two signatures, docs/reference/models.md §2.12), so the **sampled** representation μ + exp(ℓ/2)·ε can be drawn
from it with the same seeded noise as in process (``models.trained.sampled_representation``).
Input: float32 ``(n, C, 64, 64)`` in [0, 1]. The model's config and training statistics travel
inside the archive as ``disentbench.json``, so a score of the file can name its origin.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from disentbench.external.encoders import METADATA_FILE, file_sha256
from disentbench.io import atomic_path
from disentbench.models.networks import Encoder
from disentbench.models.trained import TrainedModel


class ExportedEncoder(nn.Module):
    """The encoder with the two signatures of an exported model."""

    def __init__(self, encoder: Encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The mean representation μ(x)."""
        return self.encoder(x)[0]

    @torch.jit.export
    def gaussian_encoder(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, logvar)`` of the encoder's Gaussian."""
        return self.encoder(x)


def export_encoder(model_dir: str | os.PathLike[str], out: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the TorchScript file of the model in ``model_dir`` to ``out``; returns its metadata."""
    model = TrainedModel.load(model_dir, device="cpu")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.jit")
        module = torch.jit.script(ExportedEncoder(model.encoder).eval())
    metadata = {
        "format": "disentbench-exported-encoder",
        "version": 1,
        "model_dir": str(Path(model_dir).resolve()),
        "weights_sha256": file_sha256(Path(model_dir) / "weights.safetensors"),
        "num_channels": model.num_channels,
        "num_latents": model.encoder.num_latents,
        "config": model.config.to_dict(),
        "signatures": {"forward": "mean representation", "gaussian_encoder": "(mean, logvar)"},
    }
    with atomic_path(Path(out)) as tmp:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.jit")
            torch.jit.save(module, str(tmp), _extra_files={METADATA_FILE: json.dumps(metadata, default=str)})
    return metadata
