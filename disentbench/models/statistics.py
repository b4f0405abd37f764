"""What a finished training run reports: unsupervised scores and training statistics (docs/reference/models.md
§2.11)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from disentbench.datasets.base import GroundTruthData
from disentbench.models.config import TrainConfig
from disentbench.models.data_stream import draw_batch
from disentbench.models.losses import compute_losses
from disentbench.models.methods import MethodSpec
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
    model's rate, ``pack_images_per_second`` the pack's aggregate.
    """
    rate = trained_steps / elapsed if elapsed > 0 and trained_steps else None
    return {
        **scores,
        "iterations": config.num_iterations,
        "global_steps": config.steps,
        "factor_vae_reference_steps": config.factor_vae_reference_steps,
        "train_seconds": elapsed,
        "train_seconds_share": elapsed / pack_size,
        "eval_seconds": eval_seconds,
        "steps_per_second": rate,
        "images_per_second": rate * config.batch_size if rate else None,
        "pack_images_per_second": rate * config.batch_size * pack_size if rate else None,
        "pack_size": pack_size,
        "precision": config.precision,
        "device": device_label,
        "num_threads": torch.get_num_threads(),
        "data_stream": config.data_stream,
        "train_data_seed": train_seed,
        "eval_data_seed": eval_seed,
        "eval_batches": config.eval_batches,
        "resumed_from_step": resumed_from,
        "last_train_losses": dict(last_losses),
    }
