"""The factor classifier of a data set: a small CNN predicting every ground-truth factor of an image.

It is the measuring instrument of the feature axes and of controllability (``axes.py``,
``controllability.py``): decoded images have no labels, so the classifier labels them.

Training: images drawn from the data set's factor grid with a seeded ``RandomState``; a fixed
random 10 % of the grid's factor combinations is held out and never trained on, and the held-out
accuracy of every factor is recorded. Architecture: four 4×4 stride-2 convolutions (32, 32, 64,
64 channels, ReLU), a 256-unit layer and one linear head per factor; Adam, cross-entropy summed
over factors.

Cache: one classifier per data set *and* data source — the key hashes the data set name, its
provenance (official file checksum, or renderer, version, parameters and whether the grid is
reduced; not the file's path), the factor sizes and the training settings — under
``<data root>/classifiers/`` (the directory of the data cache), written atomically as safetensors
plus a JSON description, under a lock so that concurrent processes train it once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from disentbench.datasets.base import GroundTruthData, index_to_factors
from disentbench.errors import DataFileError
from disentbench.io import atomic_path, write_json_atomic

log = logging.getLogger(__name__)

#: Bump when the architecture or the training procedure changes (invalidates every cache).
CLASSIFIER_VERSION = 1
#: Share of the factor grid held out from training to measure accuracy.
HELD_OUT_FRACTION = 0.1
#: Held-out images on which accuracy is measured.
HELD_OUT_SAMPLES = 4000
#: Default training budget (measured CPU minutes in docs/inspection.md).
DEFAULT_STEPS = 3000
DEFAULT_BATCH_SIZE = 64
LEARNING_RATE = 1e-3
#: A factor whose held-out accuracy is below this is not trusted: its controllability is NaN.
TRUST_THRESHOLD = 0.5


class FactorNet(nn.Module):
    """Conv trunk and one linear head per factor; ``forward`` returns the concatenated logits."""

    def __init__(self, num_channels: int, factor_sizes: list[int]):
        super().__init__()
        self.factor_sizes = list(factor_sizes)
        self.trunk = nn.Sequential(
            nn.Conv2d(num_channels, 32, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(64, 64, 4, 2, 1), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(64 * 4 * 4, 256), nn.ReLU(),
            nn.Linear(256, sum(self.factor_sizes)),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x)

    def split(self, logits: torch.Tensor) -> list[torch.Tensor]:
        """Concatenated logits → one ``(n, size_k)`` tensor per factor."""
        return list(torch.split(logits, self.factor_sizes, dim=1))


@dataclass
class FactorClassifier:
    """A trained classifier with what it was trained on and how well it does on held-out images."""

    net: FactorNet
    factor_names: list[str]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def factor_sizes(self) -> list[int]:
        return self.net.factor_sizes

    @property
    def accuracy(self) -> dict[str, float]:
        """Held-out accuracy per factor name."""
        return dict(self.info.get("held_out_accuracy", {}))

    def untrusted(self, threshold: float = TRUST_THRESHOLD) -> list[str]:
        """Factors whose held-out accuracy is below ``threshold`` (their measurements are not used)."""
        return [name for name in self.factor_names if not self.accuracy.get(name, 0.0) >= threshold]

    @torch.no_grad()
    def probabilities(self, images: np.ndarray, batch_size: int = 256) -> list[np.ndarray]:
        """Softmax per factor: a list of ``(n, size_k)`` float arrays."""
        self.net.eval()
        outs: list[list[np.ndarray]] = [[] for _ in self.factor_sizes]
        for start in range(0, len(images), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size], dtype=np.float32))
            for k, logits in enumerate(self.net.split(self.net(x))):
                outs[k].append(torch.softmax(logits, dim=1).numpy())
        return [
            np.concatenate(o) if o else np.zeros((0, s), np.float32)
            for o, s in zip(outs, self.factor_sizes, strict=True)
        ]

    def predict(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Most likely value index of every factor, int64 ``(n, K)``."""
        probs = self.probabilities(images, batch_size)
        return np.stack([p.argmax(axis=1) for p in probs], axis=1).astype(np.int64)


def cache_key(data: GroundTruthData, steps: int, batch_size: int, seed: int) -> str:
    """Hex digest identifying the classifier of this data set, data source and training settings."""
    provenance = {k: v for k, v in dict(data.provenance).items() if k != "path"}
    identity = {
        "version": CLASSIFIER_VERSION,
        "dataset": data.name,
        "provenance": provenance,
        "factor_names": list(data.factor_names),
        "factor_sizes": [int(s) for s in data.factors_num_values],
        "observation_shape": list(data.observation_shape),
        "steps": int(steps),
        "batch_size": int(batch_size),
        "seed": int(seed),
    }
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def cache_dir(data_root: str | os.PathLike[str] | None = None) -> Path:
    """``<data root>/classifiers`` (see ``disentbench.datasets.paths.data_root``)."""
    from disentbench.datasets.paths import data_root as resolve_root

    return resolve_root(data_root) / "classifiers"


def get_classifier(
    data: GroundTruthData,
    *,
    data_root: str | os.PathLike[str] | None = None,
    steps: int = DEFAULT_STEPS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    progress: bool = True,
) -> FactorClassifier:
    """The cached classifier of ``data``; trained (and cached) on first use."""
    from disentbench.datasets.cache import locked

    key = cache_key(data, steps, batch_size, seed)
    folder = cache_dir(data_root)
    stem = folder / f"{data.name}-{key[:20]}"
    weights, description = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    if not (weights.is_file() and description.is_file()):
        with locked(folder / f".{stem.name}.lock"):
            if not (weights.is_file() and description.is_file()):
                log.info(
                    "training the factor classifier of %s (once per data source) -> %s", data.name, weights
                )
                classifier = train_classifier(
                    data, steps=steps, batch_size=batch_size, seed=seed, progress=progress
                )
                classifier.info["cache_key"] = key
                with atomic_path(weights) as tmp:
                    save_file({k: v.contiguous() for k, v in classifier.net.state_dict().items()}, str(tmp))
                write_json_atomic(description, classifier.info)  # written last: marks the entry complete
                return classifier
    return load_classifier(weights, description)


def load_classifier(weights: Path, description: Path) -> FactorClassifier:
    """Read a cached classifier, checking its tensors against its description."""
    try:
        info = json.loads(description.read_text(encoding="utf-8"))
        net = FactorNet(int(info["num_channels"]), [int(s) for s in info["factor_sizes"]])
        tensors = load_file(str(weights))
    except Exception as exc:  # safetensors raises its own error type on a damaged file
        raise DataFileError(f"{weights}: unreadable factor classifier cache ({exc}); delete it") from None
    expected = net.state_dict()
    if set(tensors) != set(expected) or any(tensors[k].shape != v.shape for k, v in expected.items()):
        raise DataFileError(f"{weights}: factor classifier tensors do not match its description; delete it")
    net.load_state_dict(tensors)
    return FactorClassifier(net.eval(), list(info["factor_names"]), info)


def held_out_mask(factor_sizes: list[int], seed: int) -> np.ndarray:
    """Boolean mask over the factor grid: ``True`` for the combinations held out from training."""
    total = int(np.prod(factor_sizes, dtype=np.int64))
    return np.random.RandomState(seed).random_sample(total) < HELD_OUT_FRACTION


def train_classifier(
    data: GroundTruthData,
    *,
    steps: int = DEFAULT_STEPS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    progress: bool = True,
) -> FactorClassifier:
    """Train the classifier on ``data`` (see the module docstring) and measure held-out accuracy."""
    from tqdm import tqdm

    sizes = [int(s) for s in data.factors_num_values]
    mask = held_out_mask(sizes, seed)
    train_index, test_index = np.flatnonzero(~mask), np.flatnonzero(mask)
    rs = np.random.RandomState(seed + 1)
    torch.manual_seed(seed)
    net = FactorNet(data.observation_shape[0], sizes)
    optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    start = time.perf_counter()
    net.train()
    bar = tqdm(range(steps), desc=f"factor classifier {data.name}", disable=not progress, unit="step")
    for _ in bar:
        factors = index_to_factors(train_index[rs.randint(len(train_index), size=batch_size)], sizes)
        x = torch.from_numpy(data.sample_observations_from_factors(factors, rs))
        target = torch.from_numpy(factors)
        loss = sum(
            nn.functional.cross_entropy(logits, target[:, k]) for k, logits in enumerate(net.split(net(x)))
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    train_seconds = time.perf_counter() - start
    classifier = FactorClassifier(net.eval(), list(data.factor_names))
    test_rs = np.random.RandomState(seed + 2)
    picked = (
        test_index[test_rs.randint(len(test_index), size=HELD_OUT_SAMPLES)] if len(test_index) else test_index
    )
    factors = index_to_factors(picked, sizes)
    predicted = classifier.predict(data.sample_observations_from_factors(factors, test_rs))
    accuracy = {
        name: float(np.mean(predicted[:, k] == factors[:, k])) if len(factors) else float("nan")
        for k, name in enumerate(data.factor_names)
    }
    classifier.info = {
        "version": CLASSIFIER_VERSION,
        "dataset": data.name,
        "provenance": dict(data.provenance),
        "factor_names": list(data.factor_names),
        "factor_sizes": sizes,
        "num_channels": int(data.observation_shape[0]),
        "steps": int(steps),
        "batch_size": int(batch_size),
        "seed": int(seed),
        "held_out_fraction": HELD_OUT_FRACTION,
        "held_out_samples": len(factors),
        "held_out_accuracy": accuracy,
        "train_seconds": train_seconds,
        "torch_threads": torch.get_num_threads(),
    }
    log.info(
        "factor classifier of %s: %d steps in %.0f s; held-out accuracy %s",
        data.name,
        steps,
        train_seconds,
        ", ".join(f"{k} {v:.3f}" for k, v in accuracy.items()),
    )
    return classifier
