"""Convolutions as matrix products (``disentbench.models.matmul_conv``) compute the study's layers."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from disentbench.datasets.squares import SquaresData
from disentbench.errors import UserError
from disentbench.models import TrainConfig, train, train_pack
from disentbench.models import matmul_conv as mc
from disentbench.models.networks import Decoder, Encoder, initialize_


def _layers(num_channels: int) -> list[tuple[nn.Module, int]]:
    """Every convolution of the study's encoder and decoder with its input side."""
    found, side = [], 64
    for layer in Encoder(num_channels).children():
        if isinstance(layer, nn.Conv2d):
            found.append((layer, side))
            side //= 2
    for layer in Decoder(num_channels).children():
        if isinstance(layer, nn.ConvTranspose2d):
            found.append((layer, side))
            side *= 2
    return found


def _output_and_gradients(layer, x, upstream, channels_last_form=None):
    """The layer's output on ``x`` (channels-first) and the gradients of ``<output, upstream>``
    with respect to ``x``, weight and bias; through ``channels_last_form`` when given."""
    if channels_last_form is None:
        out = layer(x)
    else:
        out = channels_last_form(x.permute(0, 2, 3, 1), layer.weight, layer.bias, layer.stride, layer.padding)
        out = out.permute(0, 3, 1, 2)
    return out, torch.autograd.grad(out, (x, layer.weight, layer.bias), upstream)


@pytest.mark.parametrize("num_channels", [1, 3])
def test_every_layer_equals_its_convolution_with_gradients(num_channels):
    """Forward values and the gradients of input, weight and bias agree in float64 to 1e-12."""
    generator = torch.Generator().manual_seed(num_channels)
    for layer, side in _layers(num_channels):
        layer = initialize_(layer.double(), generator)
        with torch.no_grad():
            layer.bias.uniform_(-1, 1, generator=generator)
        x = torch.randn(3, layer.in_channels, side, side, dtype=torch.float64, generator=generator)
        x.requires_grad_()
        side_out = side * 2 if isinstance(layer, nn.ConvTranspose2d) else side // 2
        shape = (3, layer.out_channels, side_out, side_out)
        upstream = torch.randn(shape, dtype=torch.float64, generator=generator)
        form = mc.conv_transpose2d if isinstance(layer, nn.ConvTranspose2d) else mc.conv2d
        native, native_grads = _output_and_gradients(layer, x, upstream)
        matmul, matmul_grads = _output_and_gradients(layer, x, upstream, form)
        torch.testing.assert_close(matmul, native, rtol=0, atol=1e-12)
        for got, want in zip(matmul_grads, native_grads, strict=True):
            torch.testing.assert_close(got, want, rtol=0, atol=1e-11)


def test_space_to_depth_round_trips_and_orders_phases_first():
    x = torch.arange(2 * 4 * 6 * 3).reshape(2, 4, 6, 3)
    s2d = mc.space_to_depth(x)
    assert s2d.shape == (2, 2, 3, 12)
    # Channel (a, f, c) of block (i, j) is pixel (2i + a, 2j + f), channel c.
    assert torch.equal(s2d[1, 1, 2].reshape(2, 2, 3), x[1, 2:4, 4:6])
    assert torch.equal(mc.depth_to_space(s2d), x)


def test_a_layer_without_a_form_is_refused():
    with pytest.raises(ValueError, match="kernel"):
        mc.conv2d(torch.zeros(1, 8, 8, 2), torch.zeros(2, 2, 3, 3), None, 1, 1)
    with pytest.raises(ValueError, match="transposed"):
        mc.conv_transpose2d(torch.zeros(1, 8, 8, 2), torch.zeros(2, 2, 2, 2), None, 2, 0)
    with pytest.raises(ValueError, match="even image sides"):
        mc.conv2d(torch.zeros(1, 7, 8, 2), torch.zeros(2, 2, 2, 2), None, 2, 0)
    with pytest.raises(ValueError, match="convolutions"):
        Encoder(1, convolutions="winograd")
    with pytest.raises(UserError, match="convolutions"):
        TrainConfig("synthetic_squares", "beta_vae", convolutions="winograd").validate()


def test_vmapped_networks_equal_native_per_model_without_fallbacks():
    """K = 3 encoders + decoders stacked and vmapped (what a vmap pack runs) give each model's
    native output and gradients; vmap batches every op itself (no per-model fallback loop, which
    would warn)."""
    generators = [torch.Generator().manual_seed(k) for k in range(3)]
    native = [(initialize_(Encoder(1).double(), g), initialize_(Decoder(1).double(), g)) for g in generators]
    encoders, _ = stack_module_state([e for e, _ in native])
    decoders, _ = stack_module_state([d for _, d in native])
    templates = (Encoder(1, convolutions="matmul").to("meta"), Decoder(1, convolutions="matmul").to("meta"))
    x = torch.rand(3, 5, 1, 64, 64, dtype=torch.float64, generator=generators[0])

    def one(enc, dec, xk):
        mean, log_var = functional_call(templates[0], enc, (xk,))
        return functional_call(templates[1], dec, (mean,)), log_var

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # vmap's "not yet implemented the batching rule" fallback
        logits, log_vars = vmap(one)(encoders, decoders, x)
    (logits.square().sum() + log_vars.sum()).backward()
    for k, (encoder, decoder) in enumerate(native):
        mean, log_var = encoder(x[k])
        native_logits = decoder(mean)
        torch.testing.assert_close(log_vars[k], log_var, rtol=0, atol=1e-12)
        torch.testing.assert_close(logits[k], native_logits, rtol=0, atol=1e-12)
        (native_logits.square().sum() + log_var.sum()).backward()
        for stacked, module in ((encoders, encoder), (decoders, decoder)):
            for name, param in module.named_parameters():
                torch.testing.assert_close(stacked[name].grad[k], param.grad, rtol=1e-10, atol=1e-10)


def _configs(convolutions: str, steps: int = 6) -> list[TrainConfig]:
    common = dict(
        dataset="synthetic_squares", steps=steps, batch_size=8, log_every=1, eval_batches=1, device="cpu"
    )
    return [
        TrainConfig(method="beta_vae", params={"beta": b}, seed=s, convolutions=convolutions, **common)  # type: ignore[arg-type]
        for b, s in ((1, 3), (4, 11), (16, 3))
    ]


def _pack_losses(configs, strategy):
    seen: list[list[dict[str, float]]] = [[] for _ in configs]
    results = train_pack(configs, SquaresData(), log_fn=lambda _s, k, v: seen[k].append(v), strategy=strategy)
    return seen, results


def _solo_losses(config: TrainConfig):
    seen: list[dict[str, float]] = []
    model = train(config, SquaresData(), log=lambda _s, v: seen.append(v))
    return seen, model


def test_a_matmul_pack_trains_as_native_solo_runs_and_packing_changes_nothing():
    """A vmapped pack with matmul convolutions follows the native loop within 1e-4 per step; with the
    loop strategy each member equals its matmul solo run bit for bit; the record says which."""
    matmul_configs = _configs("matmul")
    native, _ = _pack_losses(_configs("native"), "loop")
    vmapped, results = _pack_losses(matmul_configs, "vmap")
    looped, _ = _pack_losses(matmul_configs, "loop")
    for k, config in enumerate(matmul_configs):
        assert len(vmapped[k]) == len(native[k]) == 6
        for got, want in zip(vmapped[k], native[k], strict=True):
            for key in ("loss", "reconstruction_loss"):
                assert got[key] == pytest.approx(want[key], rel=1e-4), key
        solo = _solo_losses(config)
        assert looped[k] == solo[0], k
        model = solo[1]
        assert model.training_stats["convolutions"] == "matmul"
        assert model.encoder.convolutions == "native"  # saved and evaluated with native layers
    assert results[0].model.training_stats["convolutions"] == "matmul"
    assert results[0].model.config.to_dict()["convolutions"] == "matmul"


@pytest.mark.parametrize(("cin", "cout"), [(3, 5), (5, 3)])
def test_both_forms_of_the_2x2_convolution(cin, cout):
    """Shifted inputs side by side (Cin ≤ Cout) and summed shifted products (Cin > Cout)."""
    generator = torch.Generator().manual_seed(cin)
    x = torch.randn(2, cin, 7, 6, dtype=torch.float64, generator=generator)
    weight = torch.randn(cout, cin, 2, 2, dtype=torch.float64, generator=generator)
    want = torch.nn.functional.conv2d(x, weight)
    got = mc.conv2x2(x.permute(0, 2, 3, 1), weight.permute(2, 3, 1, 0)).permute(0, 3, 1, 2)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def test_under_bf16_autocast_activations_stay_bf16_as_with_native_layers():
    """The bias is added in the product's dtype: a float32 bias would promote every activation
    back to float32 (twice the memory traffic of the native path under autocast)."""
    x = torch.rand(2, 1, 64, 64)
    conv = initialize_(nn.Conv2d(1, 32, 4, 2, 1), torch.Generator().manual_seed(0))
    for convolutions in ("native", "matmul"):
        decoder = initialize_(Decoder(1, convolutions=convolutions), torch.Generator().manual_seed(1))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert decoder(torch.rand(2, 10)).dtype == torch.bfloat16, convolutions
            assert conv(x).dtype == torch.bfloat16
            matmul = mc.conv2d(x.permute(0, 2, 3, 1), conv.weight, conv.bias, conv.stride, conv.padding)
            assert matmul.dtype == torch.bfloat16
