"""Ways to run one convolution layer of K models at once, timed forward + backward.

The packed trainer's ``vmap`` strategy turns each convolution of K models into one grouped
convolution (``groups = K``). This script times that against other formulations of the same
computation, per layer of the study's networks, so that the fastest can be chosen by measurement:

* ``grouped_cl``: grouped convolution, channels-last (what ``vmap`` runs with ``channels_last``);
* ``grouped``: grouped convolution, channels-first;
* ``unfold_bmm``: explicit im2col (``F.unfold``) and one batched matrix product over the K models
  (transposed convolutions: batched product, then ``F.fold``);
* ``loop``: K ordinary convolutions one after the other;
* ``matmul``: ``disentbench.models.matmul_conv`` (space-to-depth and matrix products on
  channels-last activations) vmapped over the K models: one batched matrix product per layer
  (``--convolutions matmul`` in the trainer).

Each is timed as the median of ``--repeats`` forward + backward passes (input, weight and bias
gradients), after warm-up, with device synchronisation around each; images/s = K × batch / time.

    python benchmarks/bench_conv_forms.py --device cuda --k 64 --precisions fp32,tf32,bf16
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from disentbench.models import matmul_conv
from disentbench.models.devices import autocast, precision_mode
from disentbench.models.networks import IMAGE_SIZE, Decoder, Encoder


def network_layers(num_channels: int = 1) -> list[tuple]:
    """(name, transposed, in channels, out channels, kernel, stride, padding, input side) of the
    study's encoder convolutions and decoder transposed convolutions (``networks.py``)."""
    layers, side = [], IMAGE_SIZE
    for name, layer in Encoder(num_channels).named_children():
        if isinstance(layer, nn.Conv2d):
            k, stride, pad = layer.kernel_size[0], layer.stride[0], layer.padding[0]  # type: ignore[index]
            layers.append((name, False, layer.in_channels, layer.out_channels, k, stride, pad, side))
            side = (side + 2 * pad - k) // stride + 1
    for name, layer in Decoder(num_channels).named_children():  # starts from the encoder's last side
        if isinstance(layer, nn.ConvTranspose2d):
            k, stride, pad = layer.kernel_size[0], layer.stride[0], layer.padding[0]  # type: ignore[index]
            layers.append((name, True, layer.in_channels, layer.out_channels, k, stride, pad, side))
            side = (side - 1) * stride - 2 * pad + k
    return layers


def grouped(transposed, x, w, b, stride, padding, k):  # type: ignore[no-untyped-def]
    """x (B, K·Cin, H, W); w stacked (K, ...) folded into groups."""
    if transposed:  # weight (K, Cin, Cout, kh, kw) -> (K·Cin, Cout, kh, kw), groups=K
        return F.conv_transpose2d(x, w.flatten(0, 1), b.flatten(), stride, padding, groups=k)
    return F.conv2d(x, w.flatten(0, 1), b.flatten(), stride, padding, groups=k)


def unfold_bmm(transposed, x, w, b, stride, padding, k, side):  # type: ignore[no-untyped-def]
    """x (K, B, Cin, H, W) -> one bmm over the K models."""
    kk, batch, cin = x.shape[:3]
    if transposed:
        cout, ksz = w.shape[2], w.shape[-1]
        rows = x.permute(0, 1, 3, 4, 2).reshape(kk, batch * side * side, cin)  # (K, B·L, Cin)
        cols = torch.bmm(rows, w.reshape(kk, cin, cout * ksz * ksz))  # (K, B·L, Cout·k·k)
        cols = cols.view(kk * batch, side * side, cout * ksz * ksz).transpose(1, 2)
        out = F.fold(cols, (side * stride, side * stride), ksz, padding=padding, stride=stride)
        return out.view(kk, batch, cout, side * stride, side * stride) + b[:, None, :, None, None]
    cout, ksz = w.shape[1], w.shape[-1]
    cols = F.unfold(x.flatten(0, 1), ksz, padding=padding, stride=stride)  # (K·B, Cin·k·k, L)
    length = cols.shape[-1]
    cols = cols.view(kk, batch, cin * ksz * ksz, length).permute(0, 1, 3, 2).reshape(kk, batch * length, -1)
    out = torch.bmm(cols, w.reshape(kk, cout, -1).transpose(1, 2)) + b[:, None, :]  # (K, B·L, Cout)
    side_out = int(length**0.5)
    return out.view(kk, batch, side_out, side_out, cout).permute(0, 1, 4, 2, 3)


def time_form(fn: Callable[[], torch.Tensor], inputs: list[torch.Tensor], device, repeats: int) -> float:
    """Median seconds of forward + backward of ``fn``."""

    def once() -> None:
        for t in inputs:
            t.grad = None
        out = fn()
        out.float().square().mean().backward()

    for _ in range(3):
        once()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        started = time.perf_counter()
        once()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2]


def bench_layer(layer, k: int, batch: int, device, precision: str, repeats: int) -> dict[str, float]:
    name, transposed, cin, cout, ksz, stride, padding, side = layer
    gen = torch.Generator().manual_seed(0)
    wshape = (k, cin, cout, ksz, ksz) if transposed else (k, cout, cin, ksz, ksz)
    w = (torch.randn(wshape, generator=gen) * 0.05).to(device).requires_grad_()
    b = torch.zeros(k, cout, device=device, requires_grad=True)
    x5 = torch.randn(k, batch, cin, side, side, generator=gen).to(device).requires_grad_()
    rates: dict[str, float] = {}
    with precision_mode(precision), autocast(precision, device):
        xg = x5.detach().permute(1, 0, 2, 3, 4).reshape(batch, k * cin, side, side).requires_grad_()
        forms: dict[str, tuple[Callable[[], torch.Tensor], list[torch.Tensor]]] = {}
        xcl = xg.detach().contiguous(memory_format=torch.channels_last).requires_grad_()
        forms["grouped_cl"] = (lambda: grouped(transposed, xcl, w, b, stride, padding, k), [xcl, w, b])
        forms["grouped"] = (lambda: grouped(transposed, xg, w, b, stride, padding, k), [xg, w, b])
        forms["unfold_bmm"] = (lambda: unfold_bmm(transposed, x5, w, b, stride, padding, k, side), [x5, w, b])

        def loop() -> torch.Tensor:
            op = F.conv_transpose2d if transposed else F.conv2d
            return torch.stack([op(x5[j], w[j], b[j], stride, padding) for j in range(k)])

        forms["loop"] = (loop, [x5, w, b])
        # Activations stay channels-last between layers on this path, so its input is (K, B, H, W, C).
        xnhwc = x5.detach().permute(0, 1, 3, 4, 2).contiguous().requires_grad_()
        op = matmul_conv.conv_transpose2d if transposed else matmul_conv.conv2d
        batched = torch.func.vmap(lambda xk, wk, bk: op(xk, wk, bk, stride, padding))
        forms["matmul"] = (lambda: batched(xnhwc, w, b), [xnhwc, w, b])
        for form, (fn, inputs) in forms.items():
            try:
                seconds = time_form(fn, inputs, device, repeats)
                rates[form] = k * batch / seconds
            except Exception as error:  # reported; the other forms go on
                print(f"  {name} {form}: failed: {type(error).__name__}: {error}", flush=True)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--k", type=int, default=4, help="models per pack")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--precisions", default="fp32")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument(
        "--cudnn-benchmark",
        choices=("yes", "no"),
        default="no",
        help="let cuDNN time its algorithms (the trainer does not)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark == "yes"
    table = {}
    for precision in args.precisions.split(","):
        for layer in network_layers():
            rates = bench_layer(layer, args.k, args.batch, device, precision, args.repeats)
            table[f"{layer[0]}/{precision}"] = rates
            shown = "  ".join(f"{form} {rate:,.0f}" for form, rate in rates.items())
            print(f"{layer[0]:<8} {precision:<5} img/s (fwd+bwd, K={args.k}): {shown}", flush=True)
            if args.json:
                args.json.write_text(
                    json.dumps({"k": args.k, "batch": args.batch, "layers": table}, indent=2)
                )


if __name__ == "__main__":
    main()
