"""Each objective against values computed by hand on tiny tensors (docs/reference/models.md §2.6–2.9)."""

from __future__ import annotations

import math

import pytest
import torch

from disentbench.models import objectives as O

MEAN = [[0.5, -1.0], [0.0, 2.0], [1.5, 0.3]]
LOGVAR = [[0.0, math.log(2.0)], [-1.0, 0.5], [0.2, -0.4]]
Z = [[0.1, -0.7], [0.4, 1.2], [1.0, 0.0]]


def _t(rows):
    return torch.tensor(rows, dtype=torch.float64)


def _kl_by_hand():
    total = 0.0
    for m_row, l_row in zip(MEAN, LOGVAR, strict=True):
        total += 0.5 * sum(m * m + math.exp(lv) - lv - 1 for m, lv in zip(m_row, l_row, strict=True))
    return total / len(MEAN)


def _outputs(step=0, logits=None):
    mean, logvar = _t(MEAN), _t(LOGVAR)
    return O.EncoderOutputs(mean, logvar, _t(Z), O.gaussian_kl(mean, logvar), step, logits)


def test_reconstruction_loss_sums_pixels_and_averages_batch():
    logits = torch.tensor([[[[0.5, -2.0]]], [[[3.0, 0.0]]]], dtype=torch.float64)
    x = torch.tensor([[[[1.0, 0.25]]], [[[0.0, 0.5]]]], dtype=torch.float64)
    by_hand = 0.0
    for lg, t in [(0.5, 1.0), (-2.0, 0.25), (3.0, 0.0), (0.0, 0.5)]:
        by_hand += math.log1p(math.exp(lg)) - t * lg
    assert O.reconstruction_loss(logits, x).item() == pytest.approx(by_hand / 2, rel=1e-12)


def test_analytic_kl():
    assert O.gaussian_kl(_t(MEAN), _t(LOGVAR)).item() == pytest.approx(_kl_by_hand(), rel=1e-12)
    assert O.gaussian_kl(torch.zeros(4, 10), torch.zeros(4, 10)).item() == 0.0


def test_beta_vae():
    assert O.beta_vae(_outputs(), beta=4.0).item() == pytest.approx(4 * _kl_by_hand(), rel=1e-12)


@pytest.mark.parametrize(("step", "expected"), [(0, 0.0), (50_000, 12.5), (100_000, 25.0), (200_000, 25.0)])
def test_annealed_capacity_schedule(step, expected):
    assert O.annealed_capacity(step, 25.0, 100_000) == pytest.approx(expected)


@pytest.mark.parametrize("step", [0, 50_000, 100_000, 200_000])
def test_annealed_vae_absolute_deviation(step):
    c = 25.0 * min(1.0, step / 100_000)
    value = O.annealed_vae(_outputs(step), c_max=25.0, gamma=1000.0, iteration_threshold=100_000).item()
    assert value == pytest.approx(1000.0 * abs(_kl_by_hand() - c), rel=1e-12)


def test_factor_vae_tc_and_regulariser():
    logits = _t([[2.0, -1.0], [0.5, 0.5], [-1.0, 3.0]])
    tc = ((2.0 + 1.0) + 0.0 + (-1.0 - 3.0)) / 3
    assert O.discriminator_total_correlation(logits).item() == pytest.approx(tc)
    value = O.factor_vae(_outputs(logits=logits), gamma=10.0).item()
    assert value == pytest.approx(_kl_by_hand() + 10.0 * tc, rel=1e-12)
    with pytest.raises(ValueError, match="discriminator"):
        O.factor_vae(_outputs(), gamma=10.0)


def test_discriminator_loss_with_clipping():
    logits_z = _t([[2.0, -1.0], [40.0, 0.0]])  # second row: p0 ≈ 1 - 4e-18, clipped to 1 - 1e-6
    logits_perm = _t([[0.0, 1.0], [0.0, -50.0]])  # second row: p1 ≈ 2e-22, clipped to 1e-6

    def p(logit_a, logit_b):
        return math.exp(logit_a) / (math.exp(logit_a) + math.exp(logit_b))

    p0 = [p(2.0, -1.0), 1 - 1e-6]
    p1 = [p(1.0, 0.0), 1e-6]
    by_hand = -0.5 * sum(math.log(v) for v in p0) / 2 - 0.5 * sum(math.log(v) for v in p1) / 2
    assert O.discriminator_loss(logits_z, logits_perm).item() == pytest.approx(by_hand, rel=1e-9)


def _cov_by_hand(rows):
    n, d = len(rows), len(rows[0])
    mu = [sum(r[k] for r in rows) / n for k in range(d)]
    return [[sum((r[i] - mu[i]) * (r[j] - mu[j]) for r in rows) / n for j in range(d)] for i in range(d)]


def _dip_by_hand(cov, lambda_od, lambda_d):
    d = len(cov)
    off = sum(cov[i][j] ** 2 for i in range(d) for j in range(d) if i != j)
    diag = sum((cov[i][i] - 1) ** 2 for i in range(d))
    return lambda_od * off + lambda_d * diag


def test_batch_covariance_is_biased():
    cov = O.batch_covariance(_t(MEAN))
    expected = _cov_by_hand(MEAN)
    for got_row, row in zip(cov.tolist(), expected, strict=True):
        assert got_row == pytest.approx(row, rel=1e-12)
    # Biased: divides by B, not B − 1.
    assert expected[0][0] == pytest.approx(sum((r[0] - 2 / 3) ** 2 for r in MEAN) / 3)


def test_dip_vae_i():
    expected = _kl_by_hand() + _dip_by_hand(_cov_by_hand(MEAN), 5.0, 50.0)
    assert O.dip_vae_i(_outputs(), lambda_od=5.0).item() == pytest.approx(expected, rel=1e-12)


def test_dip_vae_ii():
    cov = _cov_by_hand(MEAN)
    for k in range(2):
        cov[k][k] += sum(math.exp(row[k]) for row in LOGVAR) / len(LOGVAR)
    expected = _kl_by_hand() + _dip_by_hand(cov, 2.0, 2.0)
    assert O.dip_vae_ii(_outputs(), lambda_od=2.0).item() == pytest.approx(expected, rel=1e-12)


def _log_q(zjk, mu, lv):
    return -0.5 * ((zjk - mu) ** 2 * math.exp(-lv) + lv + math.log(2 * math.pi))


def _lse(values):
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def _textbook_mws_tc(dataset_size):
    """Chen et al.'s minibatch-weighted-sampling TC *with* the −log(B·N) normalisers."""
    b, d = len(Z), len(Z[0])
    log_bn = math.log(b * dataset_size)
    total = 0.0
    for j in range(b):
        joint = (
            _lse([sum(_log_q(Z[j][k], MEAN[i][k], LOGVAR[i][k]) for k in range(d)) for i in range(b)])
            - log_bn
        )
        marginals = sum(
            _lse([_log_q(Z[j][k], MEAN[i][k], LOGVAR[i][k]) for i in range(b)]) - log_bn for k in range(d)
        )
        total += joint - marginals
    return total / b


def test_beta_tc_vae_omits_the_log_bn_constants():
    n = 737_280  # dSprites
    ours = O.total_correlation_mws(_t(Z), _t(MEAN), _t(LOGVAR)).item()
    # dlib's estimate = textbook estimate − (d − 1)·log(B·N) (docs/reference/models.md §2.8).
    assert ours == pytest.approx(_textbook_mws_tc(n) - (2 - 1) * math.log(3 * n), rel=1e-10)
    value = O.beta_tc_vae(_outputs(), beta=6.0).item()
    assert value == pytest.approx(_kl_by_hand() + 5.0 * ours, rel=1e-12)
    assert O.beta_tc_vae(_outputs(), beta=1.0).item() == pytest.approx(_kl_by_hand(), rel=1e-12)


def test_beta_tc_constant_offset_for_the_study_shape():
    # With d = 10, B = 64 on dSprites the omitted constant is 9·log(64·737280) ≈ 159.0 nats.
    assert 9 * math.log(64 * 737_280) == pytest.approx(159.0, abs=0.05)


def test_shuffle_codes_permutes_each_column_within_the_batch():
    z = torch.arange(40, dtype=torch.float32).reshape(8, 5)
    out = O.shuffle_codes(z, torch.Generator().manual_seed(0))
    for k in range(5):
        assert sorted(out[:, k].tolist()) == z[:, k].tolist()
    assert not torch.equal(out, z)
    orders = {tuple((out[:, k] - k).div(5).long().tolist()) for k in range(5)}
    assert len(orders) > 1, "columns are permuted independently"


def test_sample_gaussian_reparameterisation():
    mean, logvar = torch.full((2000, 2), 3.0), torch.full((2000, 2), math.log(4.0))
    z = O.sample_gaussian(mean, logvar, torch.Generator().manual_seed(0))
    assert z.mean().item() == pytest.approx(3.0, abs=0.1)
    assert z.std().item() == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(("step", "expected"), [(0, 0.0), (50_000, 12.5), (100_000, 25.0), (200_000, 25.0)])
def test_annealed_capacity_on_a_step_tensor(step, expected):
    # The trainer's CUDA-graph path passes the step as a 0-d tensor.
    value = O.annealed_capacity(torch.tensor(float(step)), 25.0, 100_000)
    assert isinstance(value, torch.Tensor) and value.item() == pytest.approx(expected)
