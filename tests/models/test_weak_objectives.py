"""Known answers for the weakly-supervised objectives (docs/reference/weak.md §2, §5)."""

from __future__ import annotations

import math

import pytest
import torch

from disentbench.models import objectives
from disentbench.models.weak_objectives import (
    PairOutputs,
    adaptive_keep_mask,
    aggregate,
    average_gvae,
    average_mlvae,
    check_labels,
    label_keep_mask,
    pair_divergence,
    pair_loss,
)


def _t(*rows: list[float]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


def test_divergence_is_twice_the_kl_between_the_posteriors() -> None:
    mean1, logvar1 = _t([0.0, 1.0]), _t([0.0, math.log(2.0)])
    mean2, logvar2 = _t([1.0, 1.0]), _t([math.log(4.0), math.log(2.0)])
    # dim 0: v1/v2 = 1/4, (μ2-μ1)²/v2 = 1/4, -1, ℓ2-ℓ1 = log 4 → -0.5 + log 4; dim 1: identical → 0.
    expected = _t([-0.5 + math.log(4.0), 0.0])
    assert torch.allclose(pair_divergence(mean1, logvar1, mean2, logvar2), expected, atol=1e-6)
    # Asymmetric: swapped, v2/v1 = 4, (μ1-μ2)²/v1 = 1, -1, ℓ1-ℓ2 = -log 4.
    swapped = pair_divergence(mean2, logvar2, mean1, logvar1)
    assert torch.allclose(swapped, _t([4.0 + 1.0 - 1.0 - math.log(4.0), 0.0]), atol=1e-6)


def test_adaptive_mask_keeps_dimensions_at_or_above_the_midpoint() -> None:
    # The reference's first example row: midpoint 2.543, only dims 6 and 9 kept (dim 2 = 2.419 shared).
    row = _t([0.0287, 0.0021, 2.419, 0.540, 0.00056, 0.0064, 5.085, 0.711, 0.0145, 2.559])
    assert adaptive_keep_mask(row)[0].nonzero().flatten().tolist() == [6, 9]


def test_adaptive_mask_tie_at_midpoint_is_kept_and_equal_rows_share_everything() -> None:
    mask = adaptive_keep_mask(_t([0.0, 1.0, 2.0], [3.0, 3.0, 3.0], [0.0, 0.0, 0.0], [5.0, 1.0, 1.0]))
    assert mask[0].tolist() == [False, True, True]  # t = 0, 0.5, 1: the midpoint counts as kept
    assert mask[1].tolist() == [False, False, False]  # max = min: 0/0 → NaN → shared
    assert mask[2].tolist() == [False, False, False]
    assert mask[3].tolist() == [True, False, False]  # argmax always kept, argmin always shared


def test_label_mask_keeps_exactly_the_labelled_dimension() -> None:
    mask = label_keep_mask(torch.tensor([0, 3, 9]), 10)
    assert mask.sum(dim=1).tolist() == [1, 1, 1]
    assert mask.nonzero()[:, 1].tolist() == [0, 3, 9]
    with pytest.raises(ValueError, match="has no latent dimension"):
        check_labels(torch.tensor([10]), 10)
    check_labels(torch.tensor([0, 9]), 10)


def test_gvae_averages_means_and_variances() -> None:
    mean, logvar = average_gvae(_t([0.0]), _t([math.log(1.0)]), _t([3.0]), _t([math.log(3.0)]))
    assert mean.item() == pytest.approx(1.5)
    assert logvar.item() == pytest.approx(math.log(2.0))


def test_mlvae_takes_harmonic_variance_and_precision_weighted_mean() -> None:
    mean, logvar = average_mlvae(_t([0.0]), _t([math.log(1.0)]), _t([3.0]), _t([math.log(3.0)]))
    # v̄ = 2·1·3/(1+3) = 1.5; μ̄ = (0/1 + 3/3)·1.5·½ = 0.75.
    assert logvar.exp().item() == pytest.approx(1.5)
    assert mean.item() == pytest.approx(0.75)


def test_aggregate_replaces_only_shared_dimensions_for_both_images() -> None:
    out = PairOutputs(
        mean1=_t([0.0, 0.0, 2.0]),
        logvar1=_t([0.0, 0.0, 0.0]),
        mean2=_t([0.0, 0.5, -2.0]),
        logvar2=_t([0.0, 0.0, 0.0]),
        labels=torch.tensor([1]),
    )
    # δ = (μ2-μ1)² = [0, 0.25, 16] → t = [0, 0.0156, 1]: only dim 2 kept.
    adaptive = aggregate(out, aggregation="argmax", averaging="gvae")
    assert adaptive.keep.tolist() == [[False, False, True]]
    assert adaptive.mean1.tolist() == [[0.0, 0.25, 2.0]]
    assert adaptive.mean2.tolist() == [[0.0, 0.25, -2.0]]
    labelled = aggregate(out, aggregation="labels", averaging="gvae")
    assert labelled.keep.tolist() == [[False, True, False]]
    assert labelled.mean1.tolist() == [[0.0, 0.0, 0.0]]
    assert labelled.mean2.tolist() == [[0.0, 0.5, 0.0]]
    with pytest.raises(ValueError, match="needs the pairs' labels"):
        aggregate(
            PairOutputs(out.mean1, out.logvar1, out.mean2, out.logvar2),
            aggregation="labels",
            averaging="gvae",
        )


def test_pair_loss_for_a_handmade_batch() -> None:
    # Two pairs, 2 latents, 1×1×2 "images" so every term is computable by hand.
    out = PairOutputs(
        mean1=_t([1.0, 0.0], [0.0, 0.0]),
        logvar1=_t([0.0, 0.0], [0.0, 0.0]),
        mean2=_t([-1.0, 0.0], [0.0, 0.0]),
        logvar2=_t([0.0, 0.0], [0.0, 0.0]),
    )
    aggregated = aggregate(out, aggregation="argmax", averaging="gvae")
    # Pair 0: δ = [4, 0] → dim 0 kept, dim 1 shared (already equal); pair 1: all equal → shared.
    assert aggregated.keep.tolist() == [[True, False], [False, False]]
    x = torch.full((2, 1, 1, 2), 0.5)
    logits = torch.zeros((2, 1, 1, 2))
    losses = pair_loss(logits, x, logits, x, aggregated, beta=4.0)
    # R per image: 2 pixels × log 2; KL1 = KL2 = batch mean of ½Σμ² = (½·1 + 0)/2 = 0.25.
    assert losses.reconstruction.item() == pytest.approx(2 * math.log(2.0))
    assert losses.kl.item() == pytest.approx(0.25)
    assert losses.regularizer.item() == pytest.approx(1.0)
    assert losses.loss.item() == pytest.approx(2 * math.log(2.0) + 1.0)
    assert losses.reconstruction.item() == pytest.approx(objectives.reconstruction_loss(logits, x).item())


def test_mask_carries_no_gradient_and_shared_dimensions_reach_both_encoders() -> None:
    mean1 = torch.tensor([[2.0, 0.1]], requires_grad=True)
    mean2 = torch.tensor([[-2.0, 0.2]], requires_grad=True)
    zeros = torch.zeros(1, 2)
    aggregated = aggregate(PairOutputs(mean1, zeros, mean2, zeros), aggregation="argmax", averaging="gvae")
    (aggregated.mean1.sum() + aggregated.mean2.sum()).backward()
    # dim 0 kept: gradient 1 to its own image; dim 1 shared: ½ from each of the two images' copies.
    assert mean1.grad.tolist() == [[1.0, 1.0]]
    assert mean2.grad.tolist() == [[1.0, 1.0]]
