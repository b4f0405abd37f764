"""The study's six models and their trainer (models.md §2; study.md §3.1).

``METHODS`` is the one method registry; ``TrainConfig`` + ``train(config, data)`` produce a
``TrainedModel`` whose ``representation_function`` feeds the metrics. See docs/architecture.md.
"""

from disentbench.models.config import TrainConfig
from disentbench.models.methods import METHODS, MethodSpec, get_method
from disentbench.models.networks import Decoder, Discriminator, Encoder
from disentbench.models.trained import TrainedModel
from disentbench.models.trainer import TrainingDiverged, train

__all__ = [
    "METHODS",
    "Decoder",
    "Discriminator",
    "Encoder",
    "MethodSpec",
    "TrainConfig",
    "TrainedModel",
    "TrainingDiverged",
    "get_method",
    "train",
]
