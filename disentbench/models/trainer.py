"""Training one model: the pack of one (docs/reference/models.md §2.9–2.11).

``train(config, data)`` is :func:`~disentbench.models.pack_trainer.train_pack` with a single
config; a diverged run raises :class:`TrainingDiverged`. The parts of the trainer live in modules
with one job each:

====================  ==========================================================================
``losses``            forward pass and loss terms of one model; FactorVAE's two gradients
``packed``            K models as stacked parameters; one iteration's forward passes (loop/vmap)
``adam``              Adam over stacked parameters; freezing a failed model's slice
``cuda_graph``        one iteration captured as a CUDA graph and replayed
``device_data``       batches gathered from pixels resident on the training device
``data_stream``       host-side batch streams and the data-stream seeds
``checkpoints``       verified checkpoint directories (manifest last); shared with ``trained``
``statistics``        post-training unsupervised scores and the statistics dict
``devices``           device resolution and the ``precision`` modes
``pack_trainer``      the loop: iterations, divergence, logging, checkpoints, results
====================  ==========================================================================
"""

from __future__ import annotations

import os
from collections.abc import Callable

from disentbench.datasets.base import GroundTruthData
from disentbench.models.config import TrainConfig
from disentbench.models.data_stream import data_stream_seeds as derive_seeds
from disentbench.models.devices import device_name, resolve_device
from disentbench.models.divergence import TrainingDiverged
from disentbench.models.losses import LOSS_KEYS, Losses, compute_losses, factor_vae_gradients
from disentbench.models.networks import Networks, build_networks
from disentbench.models.pack_trainer import CheckpointCallback, train_pack
from disentbench.models.statistics import unsupervised_scores
from disentbench.models.trained import TrainedModel

LogFunction = Callable[[int, dict[str, float]], None]


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

    If ``checkpoint_dir`` holds a verified checkpoint, training resumes from it. A checkpoint is
    written every ``checkpoint_every`` iterations (default ``config.checkpoint_every``) and at the
    end; ``on_checkpoint(step, checkpoint_dir)`` is called after each write. ``log(step, means)``
    receives the mean losses of each ``config.log_every`` interval (default: the ``logging``
    module). A non-finite loss raises :class:`TrainingDiverged`.
    """
    result = train_pack(
        [config],
        data,
        checkpoint_dir=checkpoint_dir,
        checkpoint_every=checkpoint_every,
        on_checkpoint=on_checkpoint,
        log_fn=(lambda step, _index, values: log(step, values)) if log is not None else None,
    )[0]
    if result.failure is not None:
        raise result.failure
    assert result.model is not None
    return result.model


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
