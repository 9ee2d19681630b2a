"""Domain-adaptation losses: the published formulas, their gradients, and that minimising
them does what a user adds them for."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from transferkit.strategies.adaptation.coral import coral_loss
from transferkit.strategies.adaptation.dann import (
    DANNLoss,
    DomainDiscriminator,
    dann_coefficient,
    grad_reverse,
)
from transferkit.strategies.adaptation.mcc import mcc_loss


@pytest.fixture(autouse=True)
def one_thread():
    """The tiny optimisation loops below are dominated by thread hand-offs on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _sgd_step(params: list[torch.Tensor], loss: torch.Tensor, lr: float) -> None:
    """Plain SGD, by hand: importing torch.optim alone can take seconds."""
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            p -= lr * g


def _assert_close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    # Not torch.testing.assert_close: its first call imports sympy, over a second.
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def _np_cov(x: np.ndarray) -> np.ndarray:
    """The covariance as written in the Deep CORAL paper, in float64."""
    n = x.shape[0]
    ones = np.ones((1, n))
    return (x.T @ x - (ones @ x).T @ (ones @ x) / n) / (n - 1)


# --- CORAL ---------------------------------------------------------------------------------


def test_coral_is_zero_for_identical_batches():
    x = torch.randn(16, 5, generator=torch.Generator().manual_seed(0))
    assert coral_loss(x, x.clone()).item() == pytest.approx(0.0, abs=1e-10)


def test_coral_matches_the_paper_formula_with_different_batch_sizes():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(12, 4))
    xt = rng.normal(size=(7, 4)) * [2.0, 1.0, 0.5, 3.0] + 1.0
    d = 4
    # Cross-check the explicit formula against numpy's unbiased covariance.
    np.testing.assert_allclose(_np_cov(xs), np.cov(xs, rowvar=False))
    expected = np.sum((_np_cov(xs) - _np_cov(xt)) ** 2) / (4 * d * d)
    got = coral_loss(torch.tensor(xs), torch.tensor(xt)).item()
    assert got == pytest.approx(expected, rel=1e-10)


def test_coral_gradients_reach_both_inputs():
    g = torch.Generator().manual_seed(1)
    xs = torch.randn(8, 3, generator=g, requires_grad=True)
    xt = (2 * torch.randn(8, 3, generator=g)).requires_grad_()
    gs, gt = torch.autograd.grad(coral_loss(xs, xt), [xs, xt])
    assert gs.abs().sum() > 0 and gt.abs().sum() > 0


def test_minimising_coral_aligns_the_target_covariance():
    g = torch.Generator().manual_seed(0)
    d = 4
    source = torch.randn(64, d, generator=g)
    target = torch.randn(64, d, generator=g) * torch.tensor([3.0, 0.5, 2.0, 1.0])
    affine = torch.nn.Linear(d, d)
    with torch.no_grad():
        affine.weight.copy_(torch.eye(d))
        affine.bias.zero_()
    params = list(affine.parameters())

    def gap() -> float:
        with torch.no_grad():
            mapped = affine(target)
        return torch.linalg.norm(torch.cov(source.T) - torch.cov(mapped.T)).item()

    before = gap()
    for _ in range(30):
        _sgd_step(params, coral_loss(source, affine(target)), lr=0.2)
    assert gap() < 0.2 * before


def test_coral_rejects_mismatched_feature_dimensions():
    with pytest.raises(ValueError, match="same dimension"):
        coral_loss(torch.zeros(4, 3), torch.zeros(4, 2))


# --- Gradient reversal and DANN ------------------------------------------------------------


def test_gradient_reversal_is_identity_forward_and_negated_scaled_backward():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, generator=g, requires_grad=True)
    w = torch.randn(3, 4, generator=g)
    y = grad_reverse(x, 0.3)
    assert torch.equal(y, x)
    (grad,) = torch.autograd.grad((y * w).sum(), x)
    _assert_close(grad, -0.3 * w)


def test_dann_loss_is_log_two_for_an_untrained_discriminator_on_one_distribution():
    torch.manual_seed(0)
    feats = torch.randn(32, 8)
    loss = DANNLoss(DomainDiscriminator(8, hidden_features=64))
    assert loss(feats, feats).item() == pytest.approx(math.log(2), abs=0.05)
    assert loss.domain_accuracy is not None and 0.0 <= loss.domain_accuracy <= 1.0


def test_dann_accuracy_is_none_before_the_first_batch():
    assert DANNLoss(DomainDiscriminator(4, 8)).domain_accuracy is None


def test_a_trained_discriminator_separates_shifted_gaussians():
    torch.manual_seed(0)
    source = torch.randn(64, 8) + 1.5
    target = torch.randn(64, 8)
    loss = DANNLoss(DomainDiscriminator(8, hidden_features=64))
    params = list(loss.parameters())
    first = loss(source, target).item()
    for _ in range(40):
        _sgd_step(params, loss(source, target), lr=0.3)
    loss.eval()
    assert loss(source, target).item() < 0.2 < first
    assert loss.domain_accuracy > 0.95


def test_dann_sends_the_reversed_discriminator_gradient_to_the_features():
    torch.manual_seed(0)
    disc = DomainDiscriminator(6, hidden_features=16).eval()
    loss = DANNLoss(disc)
    fs = torch.randn(5, 6, requires_grad=True)
    ft = torch.randn(3, 6, requires_grad=True)
    reversed_grads = torch.autograd.grad(loss(fs, ft, coeff=0.5), [fs, ft])
    zs, zt = disc(fs).squeeze(1), disc(ft).squeeze(1)
    plain = 0.5 * (
        F.binary_cross_entropy_with_logits(zs, torch.ones(5))
        + F.binary_cross_entropy_with_logits(zt, torch.zeros(3))
    )
    plain_grads = torch.autograd.grad(plain, [fs, ft])
    for rev, ref in zip(reversed_grads, plain_grads, strict=True):
        _assert_close(rev, -0.5 * ref)


def test_dann_schedule_rises_from_zero_to_about_one():
    values = [dann_coefficient(p / 10) for p in range(11)]
    assert values[0] == 0.0
    assert values[-1] == pytest.approx(2 / (1 + math.exp(-10)) - 1)
    assert values[-1] > 0.999
    assert all(a < b for a, b in itertools.pairwise(values))
    assert dann_coefficient(0.5, gamma=4.0) == pytest.approx(2 / (1 + math.exp(-2)) - 1)


# --- MCC -----------------------------------------------------------------------------------


def test_mcc_is_low_for_confident_balanced_predictions_and_high_for_confused_ones():
    confident = 20.0 * torch.eye(3).repeat(2, 1)
    confused = torch.randn(6, 3, generator=torch.Generator().manual_seed(0)) * 0.1
    low, high = mcc_loss(confident).item(), mcc_loss(confused).item()
    assert low < 0.01
    assert high > 0.6
    assert mcc_loss(torch.zeros(4, 3)).item() == pytest.approx(2 / 3)


def test_mcc_matches_a_direct_computation():
    logits = torch.tensor([[2.0, 0.0], [0.5, 1.0], [-1.0, 3.0]], dtype=torch.float64)
    temperature = 2.0
    p = torch.softmax(logits / temperature, dim=1).tolist()
    h = [-sum(q * math.log(q) for q in row) for row in p]
    raw = [1 + math.exp(-hi) for hi in h]
    w = [3 * r / sum(raw) for r in raw]
    c = [[sum(w[i] * p[i][j] * p[i][k] for i in range(3)) for k in range(2)] for j in range(2)]
    col = [c[0][k] + c[1][k] for k in range(2)]
    expected = (c[0][1] / col[1] + c[1][0] / col[0]) / 2
    assert mcc_loss(logits, temperature).item() == pytest.approx(expected, rel=1e-10)


def test_mcc_gradient_reaches_the_logits():
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), requires_grad=True)
    (grad,) = torch.autograd.grad(mcc_loss(logits), logits)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


# --- Entropy and pseudo-labels -------------------------------------------------------------
