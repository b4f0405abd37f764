"""Encoders that disentbench did not train: load one, check it, and use it as a representation.

An encoder maps a batch of observations, float32 ``(n, C, 64, 64)`` in [0, 1] (channels first,
as every data set yields them), to codes ``(n, d)``; ``d`` need not be 10. Three sources:

* a **TorchScript** file (``torch.jit.save``), called with a ``torch.Tensor``; the
  representation is its ``forward``. A module that also has a ``gaussian_encoder`` method
  returning ``(mean, logvar)`` (as ``disentbench export-encoder`` writes) can be scored on the
  ``sampled`` representation too;
* a Python entry ``package.module:factory``: ``factory()`` returns a callable of that shape
  (given a ``torch.Tensor``, returning a tensor or an array);
* an **ONNX** file (``*.onnx``), run with ``onnxruntime`` (the optional extra ``onnx``).

Loading a TorchScript or ONNX file or importing a Python entry runs code from it: only load
encoders you trust.

Every call is checked (:class:`CheckedEncoder`): a raised exception, a result that is not a 2-D
array with one row per input, a dimension that changes between calls, NaN or infinite codes, or
a call slower than the timeout becomes an :class:`EncoderError` naming the encoder and what was
expected.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import threading
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from disentbench.errors import UserError
from disentbench.models.trained import RepresentationFunction, sampled_representation

#: Encoder kinds, as recorded in ``spec.encoder.kind``.
KINDS = ("torchscript", "python", "onnx")
#: Observations per encoder call: the batch size the in-process representation functions use,
#: so an exported model computes the same codes as the model it came from.
DEFAULT_BATCH_SIZE = 64
#: Name of the metadata file ``export-encoder`` stores inside a TorchScript archive.
METADATA_FILE = "disentbench.json"


class EncoderError(UserError):
    """An external encoder failed or broke its contract (names the encoder and what was expected)."""


@dataclass
class LoadedEncoder:
    """A loaded encoder: how to call it and where it came from.

    ``call`` maps a float32 tensor ``(n, C, 64, 64)`` to ``(n, d)`` (tensor or array);
    ``gaussian`` (optional) maps it to ``(mean, logvar)``. ``sha256`` is the file's digest (for a
    Python entry: its module's source file).
    """

    kind: str
    source: str
    sha256: str | None
    call: Callable[[torch.Tensor], Any]
    gaussian: Callable[[torch.Tensor], Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """The record's ``spec.encoder`` fields (without the dimension, known after a call)."""
        return {"kind": self.kind, "source": self.source, "sha256": self.sha256, "metadata": self.metadata}


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_encoder(spec: str) -> LoadedEncoder:
    """Load ``spec``: a ``.onnx`` file, another file (TorchScript) or ``package.module:factory``."""
    path = Path(spec)
    if path.is_file():
        if path.suffix.lower() == ".onnx":
            return load_onnx(path)
        return load_torchscript(path)
    if ":" in spec and not path.exists():
        return load_python_entry(spec)
    raise EncoderError(
        f"--encoder {spec!r}: no such file, and not a Python entry 'package.module:factory'; expected a "
        "TorchScript file, an .onnx file or package.module:factory"
    )


def load_torchscript(path: str | Path) -> LoadedEncoder:
    """A TorchScript encoder (its metadata file, if ``export-encoder`` wrote one, is read too)."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise EncoderError(
            f"{path}: not a TorchScript file (not a zip archive); expected a module saved with "
            "torch.jit.save (or an .onnx file, or package.module:factory)"
        )
    extra = {METADATA_FILE: ""}
    try:
        with warnings.catch_warnings():
            # TorchScript is deprecated in recent PyTorch, but it is the format encoders are shared
            # in (the NeurIPS 2019 challenge's), so loading one is not the user's mistake.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.jit")
            module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    except Exception as exc:
        raise EncoderError(
            f"{path}: not a TorchScript file ({type(exc).__name__}: {_first_line(exc)}); expected a "
            "module saved with torch.jit.save (a state dict or a pickled model is not one)"
        ) from None
    module.eval()
    metadata: dict[str, Any] = {}
    if extra[METADATA_FILE]:
        try:
            metadata = json.loads(extra[METADATA_FILE])
        except ValueError:
            metadata = {}
    gaussian = module.gaussian_encoder if hasattr(module, "gaussian_encoder") else None
    return LoadedEncoder("torchscript", str(path), file_sha256(path), module, gaussian, metadata)


def load_python_entry(entry: str) -> LoadedEncoder:
    """``package.module:factory``: import the module, call ``factory()``, check it is callable."""
    module_name, _, attribute = entry.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise EncoderError(
            f"--encoder {entry!r}: cannot import module {module_name!r} ({type(exc).__name__}: {exc}); "
            "is its folder on PYTHONPATH?"
        ) from exc
    factory = getattr(module, attribute, None)
    if factory is None or not callable(factory):
        raise EncoderError(f"--encoder {entry!r}: module {module_name!r} has no callable {attribute!r}")
    try:
        encoder = factory()
    except Exception as exc:
        raise EncoderError(f"--encoder {entry!r}: the factory raised {type(exc).__name__}: {exc}") from exc
    if not callable(encoder):
        raise EncoderError(
            f"--encoder {entry!r}: the factory returned a {type(encoder).__name__}; expected a callable "
            "mapping a float32 tensor (n, C, 64, 64) to codes (n, d)"
        )
    source_file = inspect.getsourcefile(module)
    sha = file_sha256(source_file) if source_file and Path(source_file).is_file() else None
    gaussian = getattr(encoder, "gaussian_encoder", None)
    return LoadedEncoder("python", entry, sha, encoder, gaussian if callable(gaussian) else None)


def load_onnx(path: str | Path) -> LoadedEncoder:
    """An ONNX encoder run by ``onnxruntime`` on the CPU (first input → first output)."""
    path = Path(path)
    try:
        import onnxruntime
    except ImportError:
        raise EncoderError(
            f"{path}: evaluating an ONNX encoder needs onnxruntime, which is not installed; "
            "install it with pip install 'disentbench[onnx]' (or pip install onnxruntime)"
        ) from None
    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise EncoderError(
            f"{path}: not a readable ONNX model ({type(exc).__name__}: {_first_line(exc)})"
        ) from None
    input_name = session.get_inputs()[0].name

    def call(x: torch.Tensor) -> np.ndarray:
        return session.run(None, {input_name: x.numpy()})[0]

    return LoadedEncoder("onnx", str(path), file_sha256(path), call)


class CheckedEncoder:
    """A loaded encoder as a checked numpy representation function (see the module docstring).

    Observations are fed in chunks of ``batch_size``; each chunk's call must finish within
    ``timeout`` seconds (``None``: no limit). The first failure is kept in :attr:`error` and every
    later call fails at once, so a metric that swallows errors cannot hide it from the caller.
    """

    def __init__(
        self,
        encoder: LoadedEncoder,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        timeout: float | None = None,
        gaussian: bool = False,
    ):
        if gaussian and encoder.gaussian is None:
            raise EncoderError(
                f"{encoder.source}: the sampled representation needs a gaussian_encoder method returning "
                "(mean, logvar), as export-encoder writes; this encoder has none (score the mean "
                "representation)"
            )
        self.encoder = encoder
        self.batch_size = int(batch_size)
        self.timeout = timeout
        self.gaussian = gaussian
        self.dimension: int | None = None
        self.error: EncoderError | None = None

    def __call__(self, observations: np.ndarray) -> np.ndarray:
        """Codes ``(n, d)`` float32 of ``observations`` ``(n, C, 64, 64)`` (the representation)."""
        return self.encode(observations)[0]

    def encode(self, observations: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``(codes, logvar)`` when ``gaussian``, else ``(codes, None)``, checked chunk by chunk."""
        if self.error is not None:
            raise self.error
        try:
            x = np.ascontiguousarray(observations, dtype=np.float32)
            outputs = [
                self._chunk(x[start : start + self.batch_size])
                for start in range(0, x.shape[0], self.batch_size)
            ]
        except EncoderError as exc:
            self.error = exc
            raise
        if not outputs:
            empty = np.zeros((0, self.dimension or 0), np.float32)
            return empty, (empty.copy() if self.gaussian else None)
        codes = np.concatenate([o[0] for o in outputs])
        logvar = np.concatenate([o[1] for o in outputs]) if self.gaussian else None
        return codes, logvar

    def representation_function(self, kind: str = "mean", seed: int = 0) -> RepresentationFunction:
        """``mean``: the encoder's output; ``sampled``: μ + exp(ℓ/2)·ε from ``gaussian_encoder``."""
        if kind == "mean":
            return self
        return sampled_representation(lambda x: self.encode(x), seed)  # type: ignore[arg-type,return-value]

    def _chunk(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        tensor = torch.from_numpy(x)
        function = self.encoder.gaussian if self.gaussian else self.encoder.call
        result = self._timed(function, tensor, x.shape)
        if self.gaussian:
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise self._fail(x.shape, "gaussian_encoder returned something else than (mean, logvar)")
            mean, logvar = (self._check(value, x.shape) for value in result)
            return mean, logvar
        return self._check(result, x.shape), None

    def _timed(self, function: Callable[[torch.Tensor], Any], tensor: torch.Tensor, shape: tuple) -> Any:
        """``function(tensor)`` without autograd; in a daemon thread when there is a timeout."""

        def run() -> Any:
            with torch.inference_mode():
                return function(tensor)

        if self.timeout is None:
            try:
                return run()
            except Exception as exc:
                raise self._fail(shape, f"raised {type(exc).__name__}: {_first_line(exc)}") from exc
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = run()
            except BaseException as exc:
                box["error"] = exc

        # A daemon thread: an encoder that never returns cannot keep the process alive.
        worker = threading.Thread(target=target, name="disentbench-encoder", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise self._fail(shape, f"took longer than the timeout of {self.timeout:g} s for one call")
        if "error" in box:
            exc = box["error"]
            raise self._fail(shape, f"raised {type(exc).__name__}: {_first_line(exc)}") from exc
        return box["value"]

    def _check(self, value: Any, shape: tuple) -> np.ndarray:
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().float().numpy()
        try:
            codes = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise self._fail(
                shape, f"returned a {type(value).__name__}; expected codes of shape (n, d)"
            ) from None
        n = shape[0]
        if codes.ndim != 2:
            raise self._fail(shape, f"returned shape {codes.shape}; expected 2-D codes ({n}, d)")
        if codes.shape[0] != n:
            raise self._fail(
                shape, f"returned {codes.shape[0]} rows for a batch of {n}; expected one code per input"
            )
        if self.dimension is None:
            self.dimension = int(codes.shape[1])
        elif codes.shape[1] != self.dimension:
            raise self._fail(
                shape, f"returned dimension {codes.shape[1]}, but {self.dimension} on an earlier call"
            )
        if not np.all(np.isfinite(codes)):
            bad = int(np.sum(~np.isfinite(codes)))
            raise self._fail(shape, f"returned {bad} NaN or infinite value(s); expected finite codes")
        return codes

    def _fail(self, shape: tuple, what: str) -> EncoderError:
        return EncoderError(
            f"encoder {self.encoder.source} ({self.encoder.kind}) {what} "
            f"[input float32 {tuple(shape)} in [0, 1]]"
        )


def probe(encoder: CheckedEncoder, observations: np.ndarray) -> int:
    """Call ``encoder`` once on ``observations`` and return the code dimension (raises on failure)."""
    encoder(observations)
    assert encoder.dimension is not None
    return encoder.dimension


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
