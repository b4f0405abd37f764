"""The training device and its floating-point precision (docs/deviations.md, "Packed training").

``precision`` (``TrainConfig.precision``) says how convolutions and matrix products are computed:

* ``fp32`` (default, the reference's): full IEEE float32. On CUDA, TF32 tensor cores are switched
  off for both cuDNN convolutions and matmuls — PyTorch's own default uses TF32 in cuDNN
  convolutions on Ampere and newer GPUs, silently rounding inputs to 10 mantissa bits.
* ``tf32``: float32 storage, TF32 tensor cores for convolutions and matmuls (CUDA, Ampere and
  newer; identical to ``fp32`` on a CPU).
* ``bf16``: the forward pass under ``torch.autocast`` with bfloat16 (weights, Adam and the loss
  reductions stay float32), on CUDA and CPU.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from disentbench.errors import UserError
from disentbench.models.config import PRECISIONS


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is a ``UserError``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device: {name!r} requested but CUDA is not available")
    return device


def device_name(device: torch.device) -> str:
    """``cuda:<product name>`` or ``cpu``, as records show it."""
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return "cpu"


@contextlib.contextmanager
def precision_mode(precision: str) -> Iterator[None]:
    """Set TF32 on or off for CUDA convolutions and matmuls for the duration (restored after)."""
    if precision not in PRECISIONS:
        raise UserError(f"precision: expected one of {', '.join(PRECISIONS)}, got {precision!r}")
    mode = "tf32" if precision == "tf32" else "ieee"
    conv = getattr(getattr(torch.backends.cudnn, "conv", None), "fp32_precision", None)
    matmul = getattr(torch.backends.cuda.matmul, "fp32_precision", None)
    if conv is not None and matmul is not None:  # torch ≥ 2.9: the per-backend precision API
        torch.backends.cudnn.conv.fp32_precision = mode
        torch.backends.cuda.matmul.fp32_precision = mode
        try:
            yield
        finally:
            torch.backends.cudnn.conv.fp32_precision = conv
            torch.backends.cuda.matmul.fp32_precision = matmul
        return
    saved = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager[object]:
    """bfloat16 autocast for ``bf16``; a no-op context for ``fp32``/``tf32``."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
