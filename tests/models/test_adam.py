"""One Adam over stacked parameters is K independent Adams; a frozen slice never moves
(docs/reference/models.md §2.10)."""

from __future__ import annotations

import pytest
import torch

from disentbench.models.adam import freeze_inactive, make_adam

K = 4
#: A slice of 512 floats: a multiple of every vector width, so stacked rows and standalone tensors
#: go through the same vectorised code and must agree bit for bit.
SHAPE = (32, 16)


def _grads(steps: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.randn((K, *SHAPE), generator=generator) * (1 + step) for step in range(steps)]


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9)])
def test_stacked_adam_is_k_independent_adams(betas):
    start = torch.randn((K, *SHAPE), generator=torch.Generator().manual_seed(1))
    stacked = start.clone().requires_grad_()
    single = [start[k].clone().requires_grad_() for k in range(K)]
    one = make_adam([stacked], 1e-3, betas, 1e-8)
    many = [make_adam([p], 1e-3, betas, 1e-8) for p in single]
    for grad in _grads(6):
        stacked.grad = grad.clone()
        one.step()
        for k, (p, opt) in enumerate(zip(single, many, strict=True)):
            p.grad = grad[k].clone()
            opt.step()
        for k in range(K):
            assert torch.equal(stacked[k], single[k]), k
            assert torch.equal(one.state[stacked]["exp_avg"][k], many[k].state[single[k]]["exp_avg"])
            assert torch.equal(one.state[stacked]["exp_avg_sq"][k], many[k].state[single[k]]["exp_avg_sq"])


def test_a_frozen_slice_keeps_its_values_and_the_others_train_on():
    start = torch.randn((K, *SHAPE), generator=torch.Generator().manual_seed(2))
    stacked = start.clone().requires_grad_()
    reference = start.clone().requires_grad_()
    opt, ref_opt = (
        make_adam([stacked], 1e-3, (0.9, 0.999), 1e-8),
        make_adam([reference], 1e-3, (0.9, 0.999), 1e-8),
    )
    active = torch.ones(K, dtype=torch.bool)
    frozen_at = None
    for step, grad in enumerate(_grads(6)):
        grad = grad.clone()
        if step == 3:  # member 2 diverges: NaN gradient, then frozen
            grad[2] = float("nan")
            active[2] = False
            frozen_at = stacked[2].detach().clone()
        freeze_inactive(opt, [grad], active)
        stacked.grad = grad
        opt.step()
        ref_grad = _grads(6)[step].clone()
        reference.grad = ref_grad
        ref_opt.step()
        assert torch.isfinite(stacked).all()
    assert torch.equal(stacked[2], frozen_at)
    for k in (0, 1, 3):
        assert torch.equal(stacked[k], reference[k]), k
