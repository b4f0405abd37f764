"""The study's convolutions as matrix products on channels-last activations (docs/deviations.md,
"Convolutions as matrix products").

Why: a pack of K models run with ``vmap`` turns each convolution into one grouped convolution
(``groups = K``), and on an H200 cuDNN's grouped kernels for these small layers (32–64 channels)
were most of a packed iteration's time (docs/performance.md). Written as matrix
products, each layer of K models is one *batched* matrix product over the K models (``vmap`` turns
``mm`` into ``bmm``), with every model's product large (rows = batch × pixels) — the shape
cuBLAS's tensor-core kernels are made for. The arithmetic is the same sum of products as the
convolution's; only the order of additions (float rounding) differs.

How: every layer of the study (docs/reference/models.md §2.2–2.3) is one of three kinds, each
rewritten through a space-to-depth of factor 2 (``(B, H, W, C)`` → ``(B, H/2, W/2, 4C)``, channel
order ``(row phase, column phase, c)``):

* 2×2 kernel, stride 2, no padding: space-to-depth, then one matrix product (a 1×1 convolution);
* 4×4 kernel, stride 2, padding 1: pad by one pixel, space-to-depth, then a 2×2 stride-1
  convolution with ``4·Cin`` input channels (tap ``t = 2d + a``: block offset ``d``, phase ``a``);
* transposed 4×4 kernel, stride 2, padding 1: pad by one pixel, a 2×2 stride-1 convolution with
  ``4·Cout`` output channels (output phase ``a`` and input offset ``1 − d``), depth-to-space, and
  crop one pixel on each side.

A 2×2 stride-1 convolution is one matrix product either on the input's 2×2 windows as rows
(``4·Cin`` columns) or on the input alone, summing four shifted slices of its ``4·Cout`` columns;
:func:`conv2x2` takes whichever moves fewer numbers (``Cin ≤ Cout``: the former).

Activations are ``(B, H, W, C)`` here; :mod:`disentbench.models.networks` converts at the ends.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: The values of ``TrainConfig.convolutions``: cuDNN/oneDNN convolutions, or this module.
CONVOLUTIONS = ("native", "matmul")


def space_to_depth(x: torch.Tensor) -> torch.Tensor:
    """``(B, H, W, C)`` → ``(B, H/2, W/2, 4C)``, channels ordered ``(row phase, column phase, c)``."""
    b, h, w, c = x.shape
    if h % 2 or w % 2:
        raise ValueError(f"matmul convolutions: need even image sides, got {h}×{w}")
    return x.reshape(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 2, 4, 5).reshape(b, h // 2, w // 2, 4 * c)


def depth_to_space(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`space_to_depth`: ``(B, P, Q, 4C)`` → ``(B, 2P, 2Q, C)``."""
    b, p, q, c4 = x.shape
    c = c4 // 4
    return x.reshape(b, p, q, 2, 2, c).permute(0, 1, 3, 2, 4, 5).reshape(b, 2 * p, 2 * q, c)


def conv2x2(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Valid 2×2 stride-1 convolution: ``x (B, P, Q, Cin)``, ``weight (2, 2, Cin, Cout)`` →
    ``(B, P−1, Q−1, Cout)`` with ``out[i, j] = Σ_{d, e} x[i + d, j + e] @ weight[d, e]``."""
    b, p, q, cin = x.shape
    cout = weight.shape[-1]
    if cin <= cout:  # the 2×2 windows of the input as rows (B·(P−1)·(Q−1), Cin·4): one copy
        windows = x.unfold(1, 2, 1).unfold(2, 2, 1)  # (B, P−1, Q−1, Cin, 2, 2), a view
        out = windows.reshape(-1, 4 * cin) @ weight.permute(2, 0, 1, 3).reshape(4 * cin, cout)
        return out.reshape(b, p - 1, q - 1, cout)
    # Each input pixel's products with all four taps, then the four shifted slices summed.
    taps = (x.reshape(-1, cin) @ weight.permute(2, 0, 1, 3).reshape(cin, 4 * cout)).reshape(b, p, q, 4, cout)
    return _ShiftedSum.apply(taps)


class _ShiftedSum(torch.autograd.Function):
    """``taps (B, P, Q, 4, C)`` → ``Σ_{d, e} taps[:, d : d + P − 1, e : e + Q − 1, 2d + e]``.

    The gradient of each tap is the output's gradient padded by one pixel; written so, it costs
    a pass per tap, where autograd's gradient of slicing would zero-fill the whole ``taps`` tensor
    for each of the four slices and then add them up.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(taps: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return taps[:, :-1, :-1, 0] + taps[:, :-1, 1:, 1] + taps[:, 1:, :-1, 2] + taps[:, 1:, 1:, 3]

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:  # type: ignore[no-untyped-def, override]
        pass

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[no-untyped-def, override]
        # Tap (d, e) saw rows d … d + P − 2 and columns e … e + Q − 2 of the taps.
        placed = [F.pad(grad, (0, 0, e, 1 - e, d, 1 - d)) for d in (0, 1) for e in (0, 1)]
        return torch.stack(placed, dim=3)


def _pair(value: int | tuple[int, ...]) -> tuple[int, ...]:
    return (value, value) if isinstance(value, int) else tuple(value)


def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    stride: int | tuple[int, ...],
    padding: int | tuple[int, ...] | str,
) -> torch.Tensor:
    """``F.conv2d(x, weight, bias, stride, padding)`` on channels-last ``x (B, H, W, Cin)``
    (``weight (Cout, Cin, kh, kw)`` as ``nn.Conv2d`` holds it) → ``(B, H', W', Cout)``, for the
    study's two kinds (4×4 stride 2 padding 1, 2×2 stride 2 no padding) on even sides; other
    layers raise ``ValueError``."""
    kernel, stride, padding = tuple(weight.shape[-2:]), _pair(stride), _pair(padding)  # type: ignore[arg-type]
    cout, cin = weight.shape[:2]
    if kernel == (2, 2) and stride == (2, 2) and padding == (0, 0):
        columns = weight.permute(2, 3, 1, 0).reshape(4 * cin, cout)  # (phase row, phase col, c) × cout
        s2d = space_to_depth(x)
        out = (s2d.reshape(-1, 4 * cin) @ columns).reshape(*s2d.shape[:3], cout)
    elif kernel == (4, 4) and stride == (2, 2) and padding == (1, 1):
        # weight[o, c, 2d + a, 2e + f] → taps[d, e, (a, f, c), o]
        taps = weight.reshape(cout, cin, 2, 2, 2, 2).permute(2, 4, 3, 5, 1, 0).reshape(2, 2, 4 * cin, cout)
        out = conv2x2(space_to_depth(F.pad(x, (0, 0, 1, 1, 1, 1))), taps)
    else:
        raise ValueError(
            f"matmul convolutions: no form for kernel {kernel}, stride {stride}, padding {padding}"
        )
    return out + bias.to(out.dtype) if bias is not None else out  # autocast: stay in its dtype


def conv_transpose2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    stride: int | tuple[int, ...],
    padding: int | tuple[int, ...],
) -> torch.Tensor:
    """``F.conv_transpose2d(x, weight, bias, stride, padding)`` on channels-last ``x (B, H, W, Cin)``
    (``weight (Cin, Cout, kh, kw)``) → ``(B, 2H, 2W, Cout)``, for the study's kind only (4×4,
    stride 2, padding 1, no output padding); others raise ``ValueError``."""
    kernel, stride, padding = tuple(weight.shape[-2:]), _pair(stride), _pair(padding)
    if not (kernel == (4, 4) and stride == (2, 2) and padding == (1, 1)):
        raise ValueError(
            f"matmul convolutions: no form for a transposed kernel {kernel}, "
            f"stride {stride}, padding {padding}"
        )
    cin, cout = weight.shape[:2]
    # Output pixel 2i − 1 + t takes input i with tap t = 2d + a: block i + d, phase a. On the input
    # padded by one, block p sums inputs p + e with e = 1 − d: weight[c, o, 2(1 − e) + a, ...].
    taps = weight.reshape(cin, cout, 2, 2, 2, 2).flip(2, 4)
    taps = taps.permute(2, 4, 0, 3, 5, 1).reshape(2, 2, cin, 4 * cout)  # (e, e', c, (a, a', o))
    blocks = conv2x2(F.pad(x, (0, 0, 1, 1, 1, 1)), taps)  # (B, H + 1, W + 1, 4·Cout)
    out = depth_to_space(blocks)[:, 1:-1, 1:-1]
    return out + bias.to(out.dtype) if bias is not None else out  # autocast: stay in its dtype
