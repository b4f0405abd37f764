"""The weakly-supervised objectives: GVAE, ML-VAE and their adaptive variants Ada-GVAE and
Ada-ML-VAE, as pure functions of the encoder outputs of both images of a pair
(docs/reference/weak.md §2, §5).

Per pair and latent dimension j, with (μ1, ℓ1) and (μ2, ℓ2) the encoder's posteriors of x1 and x2
(one set of weights) and v = exp(ℓ) (docs/reference/weak.md §2.2):

* divergence δ_j = v1/v2 + (μ2 − μ1)²/v2 − 1 + ℓ2 − ℓ1 = 2·KL(q(z_j|x1) ‖ q(z_j|x2));
* an averaged posterior, the same for both images: GVAE takes the mean of the means and of the
  variances; ML-VAE the harmonic mean of the variances v̄ = 2·v1·v2/(v1+v2) with the
  precision-weighted mean μ̄ = ½(μ1/v1 + μ2/v2)·v̄;
* a keep-own mask K (True: the image keeps its own posterior in that dimension): with "labels"
  aggregation exactly the labelled dimension is kept; with the adaptive ("argmax") aggregation,
  per pair, t_j = (δ_j − min δ)/(max δ − min δ) and K_j = (t_j ≥ ½) — a tie at the midpoint is
  kept, and a pair whose δ are all equal (t = 0/0) shares every dimension;
* the loss for the pair: ½(R1 + R2) + β·½(KL1 + KL2), the KL terms on the aggregated posteriors
  (docs/reference/weak.md §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from disentbench.models import objectives

#: Aggregations of the keep-own mask: told which factor changed, or estimated per pair.
AGGREGATIONS: tuple[str, ...] = ("labels", "argmax")
#: Averaging rules of the shared dimensions.
AVERAGINGS: tuple[str, ...] = ("gvae", "mlvae")


@dataclass(frozen=True)
class PairVariant:
    """Which of the four models (docs/reference/weak.md §2.1): aggregation × averaging."""

    aggregation: str
    averaging: str

    def __post_init__(self) -> None:
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(f"unknown aggregation {self.aggregation!r}; expected one of {AGGREGATIONS}")
        if self.averaging not in AVERAGINGS:
            raise ValueError(f"unknown averaging {self.averaging!r}; expected one of {AVERAGINGS}")


def needs_pairs(*_: object, **__: object) -> torch.Tensor:
    """The ``regularizer`` slot of a weakly-supervised method: its loss is :func:`pair_loss` on a
    pair of images, never a regulariser of one batch."""
    raise TypeError("a weakly-supervised method trains on pairs of observations; use pair_loss")


def pair_divergence(
    mean1: torch.Tensor, logvar1: torch.Tensor, mean2: torch.Tensor, logvar2: torch.Tensor
) -> torch.Tensor:
    """δ = 2·KL(q1 ‖ q2) per dimension, ``(B, d)``, in the reference's order of terms."""
    var1, var2 = logvar1.exp(), logvar2.exp()
    return var1 / var2 + (mean2 - mean1).square() / var2 - 1.0 + logvar2 - logvar1


def adaptive_keep_mask(divergence: torch.Tensor) -> torch.Tensor:
    """K = ((δ − min δ)/(max δ − min δ) ≥ ½) per row; all False where max = min.

    The comparison is done on the normalised t (not as δ ≥ ½(max + min)), so the 0/0 of a row of
    equal divergences gives NaN and NaN ≥ ½ is False: every dimension shared.
    """
    low = divergence.min(dim=1, keepdim=True).values
    high = divergence.max(dim=1, keepdim=True).values
    normalised = (divergence - low) / (high - low)
    return normalised >= 0.5


def check_labels(labels: torch.Tensor, num_latents: int) -> None:
    """``ValueError`` when a factor label has no latent dimension (factor i ↦ dimension i)."""
    if labels.numel() and int(labels.max()) >= num_latents:
        raise ValueError(
            f"labels aggregation: factor label {int(labels.max())} has no latent dimension "
            f"(the model has {num_latents})"
        )


def label_keep_mask(labels: torch.Tensor, num_latents: int) -> torch.Tensor:
    """K_j = (j == label): factor index i keeps latent dimension i (``check_labels`` first; this
    form has no data-dependent branch, so it runs under ``vmap``)."""
    dims = torch.arange(num_latents, device=labels.device)
    return labels.reshape(-1, 1) == dims


def average_gvae(
    mean1: torch.Tensor, logvar1: torch.Tensor, mean2: torch.Tensor, logvar2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """GVAE's shared posterior: μ̄ = ½μ1 + ½μ2, ℓ̄ = log(½v1 + ½v2)."""
    return 0.5 * mean1 + 0.5 * mean2, torch.log(0.5 * logvar1.exp() + 0.5 * logvar2.exp())


def average_mlvae(
    mean1: torch.Tensor, logvar1: torch.Tensor, mean2: torch.Tensor, logvar2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """ML-VAE's shared posterior: v̄ = 2·v1·v2/(v1 + v2), μ̄ = (μ1/v1 + μ2/v2)·v̄·½.

    Twice the product-of-experts variance, as the reference's (docs/reference/weak.md §5).
    """
    var1, var2 = logvar1.exp(), logvar2.exp()
    var = 2.0 * var1 * var2 / (var1 + var2)
    return (mean1 / var1 + mean2 / var2) * var * 0.5, torch.log(var)


@dataclass(frozen=True)
class PairOutputs:
    """The encoder outputs of both images of a batch of pairs, and the pairs' labels."""

    mean1: torch.Tensor
    logvar1: torch.Tensor
    mean2: torch.Tensor
    logvar2: torch.Tensor
    labels: torch.Tensor | None = None


@dataclass(frozen=True)
class AggregatedPair:
    """Posteriors of both images after aggregation, and the mask that produced them."""

    mean1: torch.Tensor
    logvar1: torch.Tensor
    mean2: torch.Tensor
    logvar2: torch.Tensor
    keep: torch.Tensor


def aggregate(out: PairOutputs, *, aggregation: str, averaging: str) -> AggregatedPair:
    """Replace the shared dimensions of both posteriors by the averaged posterior.

    The mask carries no gradient; averaged dimensions pass gradients to both encoder calls.
    """
    if aggregation == "argmax":
        keep = adaptive_keep_mask(pair_divergence(out.mean1, out.logvar1, out.mean2, out.logvar2).detach())
    elif aggregation == "labels":
        if out.labels is None:
            raise ValueError("labels aggregation needs the pairs' labels")
        keep = label_keep_mask(out.labels, out.mean1.shape[-1])
    else:
        raise ValueError(f"unknown aggregation {aggregation!r}; expected one of {AGGREGATIONS}")
    averager = {"gvae": average_gvae, "mlvae": average_mlvae}.get(averaging)
    if averager is None:
        raise ValueError(f"unknown averaging {averaging!r}; expected one of {AVERAGINGS}")
    mean, logvar = averager(out.mean1, out.logvar1, out.mean2, out.logvar2)
    return AggregatedPair(
        torch.where(keep, out.mean1, mean),
        torch.where(keep, out.logvar1, logvar),
        torch.where(keep, out.mean2, mean),
        torch.where(keep, out.logvar2, logvar),
        keep,
    )


@dataclass(frozen=True)
class PairLosses:
    """The loss terms of one batch of pairs (all scalars)."""

    reconstruction: torch.Tensor
    kl: torch.Tensor
    regularizer: torch.Tensor
    loss: torch.Tensor


def pair_loss(
    logits1: torch.Tensor,
    x1: torch.Tensor,
    logits2: torch.Tensor,
    x2: torch.Tensor,
    aggregated: AggregatedPair,
    *,
    beta: float | torch.Tensor,
) -> PairLosses:
    """½(R1 + R2) + β·½(KL1 + KL2), R and KL as in the unsupervised methods."""
    reconstruction = 0.5 * objectives.reconstruction_loss(logits1, x1) + 0.5 * objectives.reconstruction_loss(
        logits2, x2
    )
    kl = 0.5 * objectives.gaussian_kl(aggregated.mean1, aggregated.logvar1) + 0.5 * objectives.gaussian_kl(
        aggregated.mean2, aggregated.logvar2
    )
    regularizer = beta * kl
    return PairLosses(reconstruction, kl, regularizer, reconstruction + regularizer)
