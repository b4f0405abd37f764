"""Losses of the study as small pure functions (docs/reference/models.md §2.6–2.9).

Every method minimises ``loss = reconstruction + regularizer``. The six regularisers differ only
in what they add to the shared reconstruction term; each is a function of one
:class:`EncoderOutputs` (the batch's μ, log σ², sampled z, KL, the training step and, for
FactorVAE, the discriminator's logits on z) plus its hyper-parameters. All sums run over pixels
or latents and all means over the batch (§2.6, §2.7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class EncoderOutputs:
    """What a regulariser may look at for one batch.

    ``step`` is the number of updates already applied (0 on the first update), as the reference's
    TF global step read before its increment (§2.8, AnnealedVAE). ``discriminator_logits`` are the
    FactorVAE discriminator's raw logits on ``z`` (``None`` for every other method).
    """

    mean: torch.Tensor
    logvar: torch.Tensor
    z: torch.Tensor
    kl: torch.Tensor
    step: int | torch.Tensor = 0
    discriminator_logits: torch.Tensor | None = None


def sample_gaussian(
    mean: torch.Tensor,
    logvar: torch.Tensor,
    generator: torch.Generator | None = None,
    eps: torch.Tensor | None = None,
) -> torch.Tensor:
    """Reparameterised sample z = μ + exp(ℓ/2)·ε, ε ~ N(0, I), one per input (§2.1).

    ε is drawn from ``generator`` unless given (the trainer draws it ahead, outside a CUDA graph).
    """
    if eps is None:
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
    return mean + torch.exp(0.5 * logvar) * eps


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Bernoulli loss with logits on soft targets: Σ_pixels BCE(logit, x), mean over the batch (§2.6).

    No entropy offset is subtracted, so the loss stays above 0 for non-binary targets.
    """
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Analytic KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ_k (μ² + σ² − log σ² − 1), mean over the batch (§2.7)."""
    return 0.5 * torch.sum(mean.square() + logvar.exp() - logvar - 1.0) / mean.shape[0]


# --- the six regularisers (§2.8) -------------------------------------------------------------


def beta_vae(out: EncoderOutputs, *, beta: float) -> torch.Tensor:
    """β-VAE (Higgins et al.): β·KL."""
    return beta * out.kl


def annealed_capacity(
    step: int | torch.Tensor, c_max: float | torch.Tensor, iteration_threshold: int | torch.Tensor
) -> float | torch.Tensor:
    """AnnealedVAE capacity C(t) = min(C_max, C_max·t/T): linear from 0 to C_max over T updates (§2.8).

    ``step`` may be a 0-d tensor (the trainer's CUDA-graph path), giving a tensor; ``c_max`` and
    ``iteration_threshold`` may be 0-d tensors (a packed trainer's per-model values under ``vmap``).
    """
    if isinstance(c_max, torch.Tensor) or isinstance(iteration_threshold, torch.Tensor):
        return torch.minimum(step * (c_max / iteration_threshold), torch.as_tensor(c_max))
    if isinstance(step, torch.Tensor):
        return torch.clamp(step * (float(c_max) / iteration_threshold), max=float(c_max))
    return min(float(c_max), float(c_max) * step / iteration_threshold)


def annealed_vae(
    out: EncoderOutputs, *, c_max: float, gamma: float = 1000.0, iteration_threshold: int = 100_000
) -> torch.Tensor:
    """AnnealedVAE (Burgess et al., Eq. 8): γ·|KL − C(t)| (absolute value, not square)."""
    return gamma * torch.abs(out.kl - annealed_capacity(out.step, c_max, iteration_threshold))


def discriminator_total_correlation(logits: torch.Tensor) -> torch.Tensor:
    """Density-ratio TC estimate mean_b[a₀ − a₁] = mean_b log(D/(1−D)) from raw logits (§2.8)."""
    return torch.mean(logits[:, 0] - logits[:, 1])


def factor_vae(out: EncoderOutputs, *, gamma: float) -> torch.Tensor:
    """FactorVAE (Kim & Mnih): KL + γ·TĈ with the discriminator's density-ratio TC (§2.8, §2.9)."""
    if out.discriminator_logits is None:
        raise ValueError("factor_vae needs the discriminator logits on z")
    return out.kl + gamma * discriminator_total_correlation(out.discriminator_logits)


def batch_covariance(x: torch.Tensor) -> torch.Tensor:
    """Biased (divide by B) covariance of the rows of ``x``: mean[x xᵀ] − mean[x] mean[x]ᵀ (§2.8, DIP)."""
    mean = x.mean(dim=0)
    return x.T @ x / x.shape[0] - torch.outer(mean, mean)


def dip_penalty(cov: torch.Tensor, lambda_od: float, lambda_d: float) -> torch.Tensor:
    """λ_od·Σ_{i≠j} Σ_ij² + λ_d·Σ_i (Σ_ii − 1)² (§2.8, DIP-VAE)."""
    diag = torch.diagonal(cov)
    off_diag = cov - torch.diag(diag)
    return lambda_od * off_diag.square().sum() + lambda_d * (diag - 1.0).square().sum()


def dip_vae_i(out: EncoderOutputs, *, lambda_od: float, lambda_d_factor: float = 10.0) -> torch.Tensor:
    """DIP-VAE-I (Kumar et al.): KL + P(Cov(μ)) with λ_d = 10·λ_od."""
    return out.kl + dip_penalty(batch_covariance(out.mean), lambda_od, lambda_d_factor * lambda_od)


def dip_vae_ii(out: EncoderOutputs, *, lambda_od: float, lambda_d_factor: float = 1.0) -> torch.Tensor:
    """DIP-VAE-II: KL + P(mean_b[diag σ²] + Cov(μ)) with λ_d = λ_od."""
    cov = batch_covariance(out.mean) + torch.diag(out.logvar.exp().mean(dim=0))
    return out.kl + dip_penalty(cov, lambda_od, lambda_d_factor * lambda_od)


def total_correlation_mws(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Minibatch-weighted-sampling TC on the loss batch, without the −log(B·N) constants (§2.8).

    log q(z_jk|x_i) = −½[(z_jk − μ_ik)² e^{−ℓ_ik} + ℓ_ik + log 2π] for every pair (j, i) including
    i = j; TĈ = mean_j[logsumexp_i Σ_k log q(z_jk|x_i) − Σ_k logsumexp_i log q(z_jk|x_i)].
    Omitting the normalisers shifts TĈ by −(d−1)·log(B·N) relative to the textbook estimate, as
    the reference does; the shift has no gradient.
    """
    diff = z[:, None, :] - mean[None, :, :]  # [j, i, k]
    log_qz_i = -0.5 * (diff.square() * torch.exp(-logvar)[None] + logvar[None] + math.log(2 * math.pi))
    log_qz = torch.logsumexp(log_qz_i.sum(dim=2), dim=1)
    log_qz_product = torch.logsumexp(log_qz_i, dim=1).sum(dim=1)
    return torch.mean(log_qz - log_qz_product)


def beta_tc_vae(out: EncoderOutputs, *, beta: float) -> torch.Tensor:
    """β-TCVAE (Chen et al., Eq. 4 with α = γ = 1): KL + (β − 1)·TĈ_MWS; β = 1 is a plain VAE."""
    return out.kl + (beta - 1.0) * total_correlation_mws(out.z, out.mean, out.logvar)


# --- FactorVAE discriminator (§2.9) ------------------------------------------------------------


def shuffle_codes(
    z: torch.Tensor, generator: torch.Generator | None = None, keys: torch.Tensor | None = None
) -> torch.Tensor:
    """Permute each latent column independently across the **same** batch (``shuffle_codes``, §2.9).

    The permutations sort uniform ``keys`` (drawn from ``generator`` unless given).
    """
    if keys is None:
        keys = torch.rand(z.shape, generator=generator, device=z.device)
    return torch.gather(z, 0, torch.argsort(keys, dim=0))


def discriminator_loss(logits_z: torch.Tensor, logits_shuffled: torch.Tensor) -> torch.Tensor:
    """L_D = −½ mean log p₀(z) − ½ mean log p₁(z̃), softmax probabilities clipped to [1e-6, 1−1e-6]."""
    p_z = torch.softmax(logits_z, dim=1).clamp(1e-6, 1 - 1e-6)
    p_shuffled = torch.softmax(logits_shuffled, dim=1).clamp(1e-6, 1 - 1e-6)
    return -0.5 * torch.log(p_z[:, 0]).mean() - 0.5 * torch.log(p_shuffled[:, 1]).mean()
