"""What a finished training run reports: unsupervised scores and training statistics (docs/reference/models.md
§2.11)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from disentbench.datasets.base import GroundTruthData
from disentbench.datasets.pairs import draw_pair_batch, pair_stream_mode, value_seed
from disentbench.models.config import TrainConfig
from disentbench.models.data_stream import draw_batch
from disentbench.models.losses import compute_losses, compute_pair_losses
from disentbench.models.methods import MethodSpec, get_method
from disentbench.models.networks import Networks

logger = logging.getLogger(__name__)


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
    The reference omits ``elbo`` for FactorVAE; we report it for every method. A
    weakly-supervised model is scored on pairs (new values from ``value_seed(eval_seed)``) with its
    own aggregation, as the reference's evaluation of those models (docs/reference/weak.md §3.1).
    """
    if config.eval_batches == 0:
        return {}
    rs = np.random.RandomState(eval_seed)
    values = np.random.RandomState(value_seed(eval_seed)) if spec.pairs is not None else None
    generator = torch.Generator(device=device).manual_seed(eval_seed)
    sums = np.zeros(4)
    logger.info("training-time scores over %d batches", config.eval_batches)
    block = max(1, config.eval_batches // 10)  # ten progress lines (1,000 batches: minutes on a CPU)
    mode = pair_stream_mode(config.data_stream)
    for done in range(1, config.eval_batches + 1):
        if values is not None:  # pairs, with the model's own aggregation (docs/reference/weak.md §3.1)
            x1, x2, labels = draw_pair_batch(data, config.batch_size, int(params["k"]), rs, values, mode)
            pair = torch.from_numpy(np.stack([x1, x2])).to(device)
            label_tensor = torch.from_numpy(labels).to(device)
            step = config.num_iterations
            losses = compute_pair_losses(spec, params, nets, pair, label_tensor, step, generator)
        else:
            x = torch.from_numpy(draw_batch(data, config.batch_size, rs, config.data_stream)).to(device)
            losses = compute_losses(spec, params, nets, x, config.num_iterations, generator)
        sums += torch.stack([losses.reconstruction, losses.kl, losses.regularizer, losses.loss]).cpu().numpy()
        if done % block == 0 and done < config.eval_batches:
            logger.info("training-time scores: batch %d/%d", done, config.eval_batches)
    rec, kl, reg, loss = (sums / config.eval_batches).tolist()
    return {"reconstruction_loss": rec, "kl_loss": kl, "regularizer": reg, "loss": loss, "elbo": -(rec + kl)}


class IntervalMeans:
    """Running sums of the per-iteration loss values of K models, reset at each log line."""

    def __init__(self, size: int, width: int):
        self.sums = np.zeros((size, width))
        self.counts = np.zeros(size, dtype=np.int64)

    def add(self, k: int, row: np.ndarray) -> None:
        self.sums[k] += row
        self.counts[k] += 1

    def take(self, k: int) -> np.ndarray | None:
        """The mean since the last take (``None`` if nothing was added), and reset."""
        if self.counts[k] == 0:
            return None
        mean = self.sums[k] / self.counts[k]
        self.sums[k] = 0
        self.counts[k] = 0
        return mean


def training_statistics(
    config: TrainConfig,
    *,
    elapsed: float,
    trained_steps: int,
    pack_size: int,
    device_label: str,
    train_seed: int,
    eval_seed: int,
    resumed_from: int | None,
    last_losses: Mapping[str, float],
    scores: Mapping[str, float],
    eval_seconds: float,
) -> dict[str, Any]:
    """The statistics dict of one trained model (saved beside it and copied into its record).

    ``train_seconds`` is the wall time of the (pack's) training; ``train_seconds_share`` is that
    divided by the pack size (the model's share of the device), and ``images_per_second`` is this
    model's rate, ``pack_images_per_second`` the pack's aggregate (a weakly-supervised model sees
    two images per pair: ``2 × batch_size`` images per step).
    """
    rate = trained_steps / elapsed if elapsed > 0 and trained_steps else None
    images = config.batch_size * (2 if get_method(config.method).weakly_supervised else 1)
    return {
        **scores,
        "iterations": config.num_iterations,
        "global_steps": config.steps,
        "factor_vae_reference_steps": config.factor_vae_reference_steps,
        "train_seconds": elapsed,
        "train_seconds_share": elapsed / pack_size,
        "eval_seconds": eval_seconds,
        "steps_per_second": rate,
        "images_per_second": rate * images if rate else None,
        "pack_images_per_second": rate * images * pack_size if rate else None,
        "pack_size": pack_size,
        "precision": config.precision,
        "convolutions": config.convolutions,
        "torch_compile": config.torch_compile,
        "device": device_label,
        "num_threads": torch.get_num_threads(),
        "data_stream": config.data_stream,
        "train_data_seed": train_seed,
        "eval_data_seed": eval_seed,
        "eval_batches": config.eval_batches,
        "resumed_from_step": resumed_from,
        "last_train_losses": dict(last_losses),
    }
