"""Layer shapes, parameter counts and initialisation of the study's networks (docs/reference/models.md
§2.2–2.5, §2.9)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from disentbench.models.networks import Decoder, Discriminator, Encoder, count_parameters, initialize_


@pytest.mark.parametrize(
    ("channels", "encoder_params", "decoder_params"), [(1, 309_204, 381_313), (3, 310_228, 382_339)]
)
def test_parameter_counts_match_spec(channels, encoder_params, decoder_params):
    assert count_parameters(Encoder(channels)) == encoder_params
    assert count_parameters(Decoder(channels)) == decoder_params


def test_discriminator_parameter_count():
    assert count_parameters(Discriminator()) == 5_018_002


def test_encoder_layer_shapes_and_kernels():
    enc = Encoder(3)
    shapes = []
    h = torch.zeros(2, 3, 64, 64)
    for conv in (enc.conv1, enc.conv2, enc.conv3, enc.conv4):
        h = conv(h)
        shapes.append(tuple(h.shape[1:]))
    assert shapes == [(32, 32, 32), (32, 16, 16), (64, 8, 8), (64, 4, 4)]
    assert [c.kernel_size for c in (enc.conv1, enc.conv2, enc.conv3, enc.conv4)] == [
        (4, 4),
        (4, 4),
        (2, 2),
        (2, 2),
    ]
    assert [c.padding for c in (enc.conv1, enc.conv2, enc.conv3, enc.conv4)] == [
        (1, 1),
        (1, 1),
        (0, 0),
        (0, 0),
    ]
    mean, logvar = enc(torch.zeros(2, 3, 64, 64))
    assert mean.shape == logvar.shape == (2, 10)


def test_decoder_layer_shapes_and_logits():
    dec = initialize_(Decoder(1), torch.Generator().manual_seed(0))
    h = torch.relu(dec.fc2(torch.relu(dec.fc1(torch.zeros(2, 10))))).view(-1, 64, 4, 4)
    shapes = []
    for deconv in (dec.deconv1, dec.deconv2, dec.deconv3, dec.deconv4):
        h = deconv(h)
        shapes.append(tuple(h.shape[1:]))
    assert shapes == [(64, 8, 8), (32, 16, 16), (32, 32, 32), (1, 64, 64)]
    out = dec(torch.randn(5, 10, generator=torch.Generator().manual_seed(1)))
    assert out.shape == (5, 1, 64, 64)
    assert (out < 0).any() and (out > 0).any(), "output is raw logits, not a sigmoid"


def test_discriminator_leaky_slope_and_output():
    disc = Discriminator()
    slopes = {m.negative_slope for m in disc.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    assert sum(isinstance(m, nn.Linear) for m in disc.modules()) == 7
    assert disc(torch.zeros(3, 10)).shape == (3, 2)


@pytest.mark.parametrize("module_cls", [Encoder, Decoder, Discriminator])
def test_xavier_uniform_bounds_and_zero_biases(module_cls):
    module = initialize_(module_cls(), torch.Generator().manual_seed(0))
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(layer.weight)
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            w = layer.weight.detach()
            assert w.abs().max() <= bound
            # Uniform on [-b, b]: the largest draw is close to the bound (unlike Kaiming's a=√5).
            assert w.abs().max() > 0.9 * bound
            assert torch.all(layer.bias == 0)


def test_spec_bounds_for_two_layers():
    enc = initialize_(Encoder(1), torch.Generator().manual_seed(0))
    # Values quoted in docs/reference/models.md §2.5 (dense 1024→256 and conv e1).
    assert math.isclose(math.sqrt(6 / (1024 + 256)), 0.0685, abs_tol=1e-4)
    assert enc.fc.weight.abs().max() <= 0.06847
    assert enc.conv1.weight.abs().max() <= 0.1066


def test_initialisation_is_seeded():
    a = initialize_(Encoder(), torch.Generator().manual_seed(3))
    b = initialize_(Encoder(), torch.Generator().manual_seed(3))
    c = initialize_(Encoder(), torch.Generator().manual_seed(4))
    assert torch.equal(a.fc.weight, b.fc.weight)
    assert not torch.equal(a.fc.weight, c.fc.weight)
