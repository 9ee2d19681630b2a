"""DANN: domain-adversarial training through a gradient-reversal layer."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from transferkit.strategies.adaptation.base import AdaptationMethod, MethodPenalty, check_features
from transferkit.strategies.base import register_strategy


class GradientReversal(torch.autograd.Function):
    r"""Gradient reversal layer: the identity forward, :math:`-\lambda \cdot` grad backward.

    Ganin & Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015;
    Ganin et al., "Domain-Adversarial Training of Neural Networks", JMLR 2016.

    .. math::

        R_\lambda(x) = x, \qquad \frac{\partial R_\lambda}{\partial x} = -\lambda I

    Use through :func:`grad_reverse`. The input may have any shape; the output has the same.
    """

    @staticmethod
    def forward(ctx: Any, x: Tensor, coeff: float) -> Tensor:
        ctx.coeff = coeff
        # A view, not x itself: returning an input unchanged would make autograd skip backward.
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor, None]:
        return -ctx.coeff * grad_output, None


def grad_reverse(x: Tensor, coeff: float = 1.0) -> Tensor:
    """Apply :class:`GradientReversal`: returns ``x`` (same shape), whose gradient is
    multiplied by ``-coeff`` on the way back."""
    return GradientReversal.apply(x, coeff)


def dann_coefficient(progress: float, gamma: float = 10.0) -> float:
    r"""The DANN schedule for the gradient-reversal coefficient (Ganin et al., JMLR 2016).

    .. math:: \lambda_p = \frac{2}{1 + \exp(-\gamma p)} - 1

    It rises from 0 at ``progress=0`` to about 1 at ``progress=1`` so the noisy
    discriminator signal of early training does not disturb the features.

    Args:
        progress: training progress ``p`` in ``[0, 1]`` (e.g. ``step / total_steps``).
        gamma: steepness; 10 in the paper.
    """
    # tanh(x/2) equals 2/(1+exp(-x)) - 1 and does not overflow for large |x|.
    return math.tanh(gamma * progress / 2.0)


class DomainDiscriminator(nn.Module):
    """The domain classifier of DANN: an MLP giving the logit of "this feature is source".

    ``Linear(d, h) -> ReLU -> Dropout -> Linear(h, h) -> ReLU -> Dropout -> Linear(h, 1)``,
    the 1024-1024 adversarial network of Ganin et al., "Domain-Adversarial Training of
    Neural Networks", JMLR 2016.

    Input shape ``[b, d]``; output shape ``[b, 1]`` (logits).
    """

    def __init__(self, in_features: int, hidden_features: int = 1024, dropout: float = 0.5):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden_features),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden_features, hidden_features),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden_features, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class DANNLoss(nn.Module):
    r"""Domain-adversarial loss: a discriminator on gradient-reversed features.

    Ganin, Ustinova, Ajakan, Germain, Larochelle, Laviolette, Marchand & Lempitsky,
    "Domain-Adversarial Training of Neural Networks", JMLR 2016.

    With :math:`D` the discriminator (logit :math:`z`) and :math:`R_\lambda` the gradient
    reversal,

    .. math::

        \ell = \tfrac12\Big[\tfrac{1}{b}\sum_{i} \mathrm{BCE}\big(D(R_\lambda(f^s_i)), 1\big)
             + \tfrac{1}{b'}\sum_{j} \mathrm{BCE}\big(D(R_\lambda(f^t_j)), 0\big)\Big]

    Minimising it trains the discriminator to tell the domains apart while the reversed
    gradient trains the feature extractor to confuse it. The two domains are weighted
    equally whatever the batch sizes. The discriminator's parameters must be in the
    optimizer (``DANNLoss`` is an ``nn.Module``; pass its ``parameters()``).

    Args:
        discriminator: maps ``[n, d]`` features to ``[n, 1]`` (or ``[n]``) logits; usually
            a :class:`DomainDiscriminator`.

    Attributes:
        domain_accuracy: accuracy of the discriminator on the last batch (mean of the
            source and target accuracies), or ``None`` before the first call. For logging:
            near 0.5 means the features are domain-invariant.
    """

    def __init__(self, discriminator: nn.Module):
        super().__init__()
        self.discriminator = discriminator
        self._last_accuracy: Tensor | None = None

    def forward(self, source_feats: Tensor, target_feats: Tensor, coeff: float = 1.0) -> Tensor:
        """Args: source features ``[b, d]``, target features ``[b', d]``, reversal
        coefficient ``coeff`` (see :func:`dann_coefficient`). Returns a scalar tensor."""
        check_features(source_feats, target_feats)
        b = source_feats.shape[0]
        feats = grad_reverse(torch.cat([source_feats, target_feats]), coeff)
        logits = self.discriminator(feats).reshape(-1)
        z_s, z_t = logits[:b], logits[b:]
        loss_s = F.binary_cross_entropy_with_logits(z_s, torch.ones_like(z_s))
        loss_t = F.binary_cross_entropy_with_logits(z_t, torch.zeros_like(z_t))
        with torch.no_grad():
            acc = 0.5 * ((z_s > 0).float().mean() + (z_t <= 0).float().mean())
        # Kept as a tensor: calling .item() here would force a device sync on every step.
        self._last_accuracy = acc
        return 0.5 * (loss_s + loss_t)

    @property
    def domain_accuracy(self) -> float | None:
        return None if self._last_accuracy is None else float(self._last_accuracy.item())


@register_strategy("dann")
class Dann(AdaptationMethod):
    summary = "adaptation: domain-adversarial training with gradient reversal (DANN)"

    def penalty(self, domain: Any, in_features: int) -> tuple[Any, list[nn.Parameter]]:
        dann = DANNLoss(DomainDiscriminator(in_features, hidden_features=256))
        self.loss = dann
        loss = lambda d, p: dann(d.source_features, d.target_features, dann_coefficient(p))  # noqa: E731
        return MethodPenalty(domain, loss, self.config.weight), list(dann.parameters())

    def diagnostics(self) -> list[str]:
        accuracy = getattr(self, "loss", None) and self.loss.domain_accuracy
        if accuracy is None:
            return []
        return [
            f"the domain discriminator told source from target in {accuracy:.0%} of the last "
            "batch (50%: the features no longer tell the domains apart)"
        ]
