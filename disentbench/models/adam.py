"""Adam over stacked parameters, and freezing one model's slice (docs/reference/models.md §2.10).

A pack stores each parameter of its K models as one tensor ``(K, ...)``. Adam is element-wise
(its moments, bias corrections and update touch each element alone; the step count is shared and
equal for all models), so one ``torch.optim.Adam`` over the stacked tensors performs exactly the
K independent Adam updates (``tests/models/test_adam.py`` checks it bit for bit).

A frozen model (its loss became NaN/inf) gets a zero gradient and zero moments: Adam's update is
then lr·0/(0 + ε) = 0, so its slice stays bit-identical while the others train on.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def make_adam(
    params: Sequence[torch.Tensor],
    lr: float,
    betas: tuple[float, float],
    eps: float,
    capturable: bool = False,
) -> torch.optim.Adam:
    """Adam with the fused kernel where this torch build has one (same maths, fewer passes);
    ``capturable`` keeps its step counts on the device so a CUDA graph can replay the update."""
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, fused=True, capturable=capturable)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, capturable=capturable)


def freeze_inactive(
    optimizer: torch.optim.Optimizer, grads: Sequence[torch.Tensor], active: torch.Tensor
) -> None:
    """Zero the gradients and Adam moments of the models whose ``active`` entry is False (in place).

    ``grads`` are the stacked gradients ``(K, ...)`` about to be applied; NaN entries of frozen
    models are replaced, so nothing non-finite reaches the optimiser.
    """
    for grad in grads:
        grad.masked_fill_(~active.view(-1, *([1] * (grad.dim() - 1))), 0.0)
    for group in optimizer.param_groups:
        for param in group["params"]:
            state = optimizer.state.get(param)
            if not state:
                continue
            frozen = ~active.view(-1, *([1] * (param.dim() - 1)))
            for key in ("exp_avg", "exp_avg_sq"):
                if key in state:
                    state[key].masked_fill_(frozen, 0.0)
