"""The study's six models and their trainer (docs/reference/models.md §2; docs/reference/study.md §3.1).

``METHODS`` is the one method registry; ``TrainConfig`` + ``train(config, data)`` produce a
``TrainedModel`` whose ``representation_function`` feeds the metrics; ``train_pack(configs, data)``
trains configs of equal ``pack_key`` together as one computation. See docs/architecture.md.
"""

from disentbench.models.checkpoints import CheckpointCorrupt, newest_good_checkpoint, verify_checkpoint
from disentbench.models.config import TrainConfig, pack_key
from disentbench.models.divergence import TrainingDiverged
from disentbench.models.methods import METHODS, MethodSpec, get_method
from disentbench.models.networks import Decoder, Discriminator, Encoder
from disentbench.models.pack_trainer import PackMemberResult, train_pack
from disentbench.models.trained import TrainedModel
from disentbench.models.trainer import train

__all__ = [
    "METHODS",
    "CheckpointCorrupt",
    "Decoder",
    "Discriminator",
    "Encoder",
    "MethodSpec",
    "PackMemberResult",
    "TrainConfig",
    "TrainedModel",
    "TrainingDiverged",
    "get_method",
    "newest_good_checkpoint",
    "pack_key",
    "train",
    "train_pack",
    "verify_checkpoint",
]
