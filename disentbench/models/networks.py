"""The study's networks: conv encoder, deconv decoder, FactorVAE discriminator (docs/reference/models.md
§2.2–2.5, §2.9).

Layer sizes, kernels and paddings follow the spec tables exactly; note the 2×2 kernels of the
third and fourth encoder convolutions. The reference is channels-last (flatten/reshape in H, W, C
order); we flatten and reshape channels-first, which only matters when porting TF weights, never
for training from scratch (§2.5).

``convolutions="matmul"`` computes the same convolutions as matrix products on channels-last
activations (``disentbench.models.matmul_conv``; faster for packs on an accelerator). The
parameters, their shapes and the model are the same; only float rounding differs.

Initialisation is TF1's ``tf.layers`` default: Xavier/Glorot-uniform kernels and zero biases
(§2.5). It draws from an explicit ``torch.Generator`` so that a seed alone fixes the weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from disentbench.models import matmul_conv
from disentbench.models.matmul_conv import CONVOLUTIONS

#: Dimension of the latent code d (§2.1).
NUM_LATENTS = 10
#: Side length of every observation.
IMAGE_SIZE = 64


class Encoder(nn.Module):
    """``conv_encoder`` (§2.2): images ``(B, C, 64, 64)`` → ``(mean, logvar)``, each ``(B, 10)``."""

    def __init__(self, num_channels: int = 1, num_latents: int = NUM_LATENTS, convolutions: str = "native"):
        super().__init__()
        self.num_channels = num_channels
        self.num_latents = num_latents
        self.convolutions = _checked(convolutions)
        self.conv1 = nn.Conv2d(num_channels, 32, kernel_size=4, stride=2, padding=1)  # 32×32×32
        self.conv2 = nn.Conv2d(32, 32, kernel_size=4, stride=2, padding=1)  # 16×16×32
        self.conv3 = nn.Conv2d(32, 64, kernel_size=2, stride=2, padding=0)  # 8×8×64
        self.conv4 = nn.Conv2d(64, 64, kernel_size=2, stride=2, padding=0)  # 4×4×64
        self.fc = nn.Linear(1024, 256)
        self.means = nn.Linear(256, num_latents)
        self.log_var = nn.Linear(256, num_latents)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.convolutions == "matmul":
            h = self._matmul_features(x)
        else:
            h = torch.relu(self.conv1(x))
            h = torch.relu(self.conv2(h))
            h = torch.relu(self.conv3(h))
            h = torch.relu(self.conv4(h))
        h = torch.relu(self.fc(h.flatten(1)))
        return self.means(h), self.log_var(h)

    # TorchScript export (disentbench.external.export) scripts the native path only. No annotations:
    # TorchScript cannot resolve this module's postponed ones (it reads unannotated as Tensor).
    @torch.jit.unused
    def _matmul_features(self, x):  # type: ignore[no-untyped-def]
        """The four convolutions as matrix products, ``(B, C, 64, 64)`` → ``(B, 64, 4, 4)``."""
        h = x.permute(0, 2, 3, 1)  # channels-last activations
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            h = torch.relu(matmul_conv.conv2d(h, conv.weight, conv.bias, conv.stride, conv.padding))
        return h.permute(0, 3, 1, 2)  # flattened channels-first, as the native path


class Decoder(nn.Module):
    """``deconv_decoder`` (§2.3): codes ``(B, 10)`` → Bernoulli **logits** ``(B, C, 64, 64)``."""

    def __init__(self, num_channels: int = 1, num_latents: int = NUM_LATENTS, convolutions: str = "native"):
        super().__init__()
        self.num_channels = num_channels
        self.num_latents = num_latents
        self.convolutions = _checked(convolutions)
        self.fc1 = nn.Linear(num_latents, 256)
        self.fc2 = nn.Linear(256, 1024)
        self.deconv1 = nn.ConvTranspose2d(64, 64, kernel_size=4, stride=2, padding=1)  # 8×8×64
        self.deconv2 = nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1)  # 16×16×32
        self.deconv3 = nn.ConvTranspose2d(32, 32, kernel_size=4, stride=2, padding=1)  # 32×32×32
        self.deconv4 = nn.ConvTranspose2d(32, num_channels, kernel_size=4, stride=2, padding=1)  # 64×64×C

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.fc1(z))
        h = torch.relu(self.fc2(h)).view(-1, 64, 4, 4)
        if self.convolutions == "matmul":
            return self._matmul_logits(h)
        h = torch.relu(self.deconv1(h))
        h = torch.relu(self.deconv2(h))
        h = torch.relu(self.deconv3(h))
        return self.deconv4(h)

    @torch.jit.unused  # unannotated as Encoder._matmul_features
    def _matmul_logits(self, h):  # type: ignore[no-untyped-def]
        """The four transposed convolutions as matrix products, ``(B, 64, 4, 4)`` → logits."""
        h = h.permute(0, 2, 3, 1)  # channels-last activations
        for layer in (self.deconv1, self.deconv2, self.deconv3, self.deconv4):
            out = matmul_conv.conv_transpose2d(h, layer.weight, layer.bias, layer.stride, layer.padding)
            h = torch.relu(out) if layer is not self.deconv4 else out
        return h.permute(0, 3, 1, 2)


class Discriminator(nn.Module):
    """``fc_discriminator`` (§2.9): z ``(B, 10)`` → two raw logits ``(B, 2)``.

    Six hidden layers of 1000 units with LeakyReLU of slope 0.2 (TF's default, §2.5; PyTorch's
    default 0.01 would differ). Logit 0 means "from q(z)", logit 1 "from the product of marginals".
    """

    def __init__(self, num_latents: int = NUM_LATENTS, hidden: int = 1000, num_hidden_layers: int = 6):
        super().__init__()
        layers: list[nn.Module] = []
        width = num_latents
        for _ in range(num_hidden_layers):
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
            width = hidden
        layers.append(nn.Linear(width, 2))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def _checked(convolutions: str) -> str:
    if convolutions not in CONVOLUTIONS:
        raise ValueError(f"convolutions: expected one of {', '.join(CONVOLUTIONS)}, got {convolutions!r}")
    return convolutions


def initialize_(module: nn.Module, generator: torch.Generator | None = None) -> nn.Module:
    """Xavier-uniform weights and zero biases on every Linear/Conv/ConvTranspose layer (§2.5)."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight, generator=generator)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def count_parameters(module: nn.Module) -> int:
    """Number of scalar parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())


@dataclass
class Networks:
    """The trainable parts of one run (the discriminator only for FactorVAE)."""

    encoder: Encoder
    decoder: Decoder
    discriminator: Discriminator | None = None

    def vae_parameters(self) -> list[torch.nn.Parameter]:
        return [*self.encoder.parameters(), *self.decoder.parameters()]

    def modules(self) -> dict[str, nn.Module]:
        parts: dict[str, nn.Module] = {"encoder": self.encoder, "decoder": self.decoder}
        if self.discriminator is not None:
            parts["discriminator"] = self.discriminator
        return parts


def build_networks(
    num_channels: int, uses_discriminator: bool, generator: torch.Generator, convolutions: str = "native"
) -> Networks:
    """Encoder, decoder (and discriminator) initialised from ``generator`` in that order (§2.5);
    ``convolutions`` says how the encoder and decoder compute their convolutions."""
    encoder = initialize_(Encoder(num_channels, convolutions=convolutions), generator)
    decoder = initialize_(Decoder(num_channels, convolutions=convolutions), generator)
    discriminator = initialize_(Discriminator(), generator) if uses_discriminator else None
    return Networks(encoder, decoder, discriminator)  # type: ignore[arg-type]
