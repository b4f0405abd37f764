"""One model's forward pass and losses on one batch, and FactorVAE's two gradients (docs/reference/models.md
§2.6–2.9).

The functions take anything with ``encoder``, ``decoder`` and ``discriminator`` callables (a
:class:`~disentbench.models.networks.Networks`, or one member of a pack bound to its slice of the
stacked parameters), so the solo model, a packed member and a ``vmap``-ed member run the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from disentbench.models import objectives
from disentbench.models.methods import MethodSpec
from disentbench.models.weak_objectives import PairOutputs, aggregate, pair_loss

#: Per-iteration values tracked for logging and divergence checks, in this order.
LOSS_KEYS = ("loss", "reconstruction_loss", "kl_loss", "regularizer", "discriminator_loss")


class NetworkCalls(Protocol):
    """The three networks of one model as callables (the discriminator may be ``None``)."""

    encoder: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
    decoder: Callable[[torch.Tensor], torch.Tensor]
    discriminator: Callable[[torch.Tensor], torch.Tensor] | None


@dataclass
class Losses:
    """The loss terms of one batch (all scalars) and the encoder outputs they came from."""

    reconstruction: torch.Tensor
    kl: torch.Tensor
    regularizer: torch.Tensor
    loss: torch.Tensor
    outputs: objectives.EncoderOutputs


def compute_losses(
    spec: MethodSpec,
    params: Mapping[str, float | torch.Tensor],
    nets: NetworkCalls,
    x: torch.Tensor,
    step: int | torch.Tensor,
    generator: torch.Generator | None,
    eps: torch.Tensor | None = None,
) -> Losses:
    """Forward pass and loss = R + regulariser for one batch (§2.6–2.8), z sampled from ``generator``
    (or with the given standard-normal ``eps``)."""
    mean, logvar = nets.encoder(x)
    z = objectives.sample_gaussian(mean, logvar, generator, eps)
    reconstruction = objectives.reconstruction_loss(nets.decoder(z), x)
    kl = objectives.gaussian_kl(mean, logvar)
    disc_logits = nets.discriminator(z) if nets.discriminator is not None else None
    outputs = objectives.EncoderOutputs(mean, logvar, z, kl, step, disc_logits)
    regularizer = spec.regularize(outputs, params)  # type: ignore[arg-type]
    return Losses(reconstruction, kl, regularizer, reconstruction + regularizer, outputs)


def compute_pair_losses(
    spec: MethodSpec,
    params: Mapping[str, float | torch.Tensor],
    nets: NetworkCalls,
    pair: torch.Tensor,
    labels: torch.Tensor | None,
    step: int | torch.Tensor,
    generator: torch.Generator | None,
    eps: torch.Tensor | None = None,
) -> Losses:
    """A weakly-supervised method on one batch of pairs (docs/reference/weak.md §2.2–2.3).

    ``pair`` is ``(2, B, C, H, W)``: both images of B pairs; ``labels`` ``(B,)`` the last resampled
    factor of each pair (used by the ``labels`` aggregation). One encoder encodes each image
    (two calls, shared weights), the shared dimensions are averaged, each image samples its own
    z (ε of image 1, then of image 2, from ``generator`` or the given ``eps`` ``(2, B, d)``) and is
    decoded; loss = ½(R1 + R2) + β·½(KL1 + KL2). ``outputs`` holds image 1's aggregated posterior.
    """
    assert spec.pairs is not None, f"{spec.name} is not a weakly-supervised method"
    x1, x2 = pair[0], pair[1]
    mean1, logvar1 = nets.encoder(x1)
    mean2, logvar2 = nets.encoder(x2)
    aggregated = aggregate(
        PairOutputs(mean1, logvar1, mean2, logvar2, labels),
        aggregation=spec.pairs.aggregation,
        averaging=spec.pairs.averaging,
    )
    eps1, eps2 = (None, None) if eps is None else (eps[0], eps[1])
    z1 = objectives.sample_gaussian(aggregated.mean1, aggregated.logvar1, generator, eps1)
    z2 = objectives.sample_gaussian(aggregated.mean2, aggregated.logvar2, generator, eps2)
    terms = pair_loss(nets.decoder(z1), x1, nets.decoder(z2), x2, aggregated, beta=params["beta"])
    outputs = objectives.EncoderOutputs(aggregated.mean1, aggregated.logvar1, z1, terms.kl, step, None)
    return Losses(terms.reconstruction, terms.kl, terms.regularizer, terms.loss, outputs)


def discriminator_loss_of(
    losses: Losses, nets: NetworkCalls, generator: torch.Generator | None, keys: torch.Tensor | None = None
) -> torch.Tensor:
    """FactorVAE's L_D on the detached, same-batch-permuted codes of ``losses`` (§2.9)."""
    assert nets.discriminator is not None and losses.outputs.discriminator_logits is not None
    shuffled = objectives.shuffle_codes(losses.outputs.z.detach(), generator, keys)
    return objectives.discriminator_loss(losses.outputs.discriminator_logits, nets.discriminator(shuffled))


def factor_vae_gradients(
    losses: Losses,
    nets: NetworkCalls,
    generator: torch.Generator | None,
    keys: torch.Tensor | None = None,
    *,
    vae_parameters: Sequence[torch.Tensor] | None = None,
    discriminator_parameters: Sequence[torch.Tensor] | None = None,
) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
    """Gradients of FactorVAE's two simultaneous updates from one forward pass (§2.9).

    The VAE gradient is ∇_{enc,dec} L_VAE (it flows through the discriminator into z, but no
    discriminator gradient is formed); the discriminator gradient is ∇_D L_D on the detached,
    same-batch-permuted codes (no encoder gradient is formed). Returns both lists and L_D.
    The parameters default to those of ``nets`` (a :class:`Networks`).
    """
    disc_loss = discriminator_loss_of(losses, nets, generator, keys)
    vae_params = list(vae_parameters if vae_parameters is not None else nets.vae_parameters())  # type: ignore[attr-defined]
    disc_params = list(
        discriminator_parameters if discriminator_parameters is not None else nets.discriminator.parameters()  # type: ignore[union-attr]
    )
    vae_grads = torch.autograd.grad(losses.loss, vae_params, retain_graph=True)
    disc_grads = torch.autograd.grad(disc_loss, disc_params)
    return list(vae_grads), list(disc_grads), disc_loss


def named_values(row: np.ndarray, uses_discriminator: bool) -> dict[str, float]:
    """A row of :data:`LOSS_KEYS` values as a dict (without ``discriminator_loss`` when unused)."""
    keys = LOSS_KEYS if uses_discriminator else LOSS_KEYS[:-1]
    return {k: float(v) for k, v in zip(keys, row, strict=False)}
