"""Domain-adaptation losses and regularisers that work with any backbone.

Each one takes features or logits that the caller already computed, so it can be added to
the supervised source loss of any training loop::

    loss = F.cross_entropy(head(f_s), y_s) + lam * coral_loss(f_s, f_t)

Shapes: ``b`` is the source batch size, ``b'`` the target batch size, ``d`` the feature
dimension and ``c`` the number of classes.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "DANNLoss",
    "DomainDiscriminator",
    "GradientReversal",
    "coral_loss",
    "dann_coefficient",
    "entropy_loss",
    "grad_reverse",
    "mcc_loss",
    "pseudo_label_loss",
]


def _check_features(source: Tensor, target: Tensor, min_rows: int = 1) -> None:
    if source.dim() != 2 or target.dim() != 2:
        raise ValueError(
            f"source and target features must be 2-d (batch, dim), got shapes "
            f"{tuple(source.shape)} and {tuple(target.shape)}"
        )
    if source.shape[1] != target.shape[1]:
        raise ValueError(
            f"source and target features must have the same dimension, got "
            f"{source.shape[1]} and {target.shape[1]}"
        )
    if source.shape[0] < min_rows or target.shape[0] < min_rows:
        raise ValueError(
            f"each batch needs at least {min_rows} rows, got {source.shape[0]} source and "
            f"{target.shape[0]} target rows"
        )


def _covariance(x: Tensor) -> Tensor:
    n = x.shape[0]
    col_sum = x.sum(dim=0, keepdim=True)
    return (x.T @ x - col_sum.T @ col_sum / n) / (n - 1)


def coral_loss(source: Tensor, target: Tensor) -> Tensor:
    r"""CORAL: the distance between the source and target feature covariances.

    Sun & Saenko, "Deep CORAL: Correlation Alignment for Deep Domain Adaptation",
    ECCV Workshops (TASK-CV) 2016.

    .. math::

        C = \frac{1}{n-1}\left(X^\top X - \frac{1}{n}(\mathbf 1^\top X)^\top(\mathbf 1^\top X)
        \right), \qquad
        \ell_{CORAL} = \frac{1}{4d^2}\,\lVert C_S - C_T \rVert_F^2

    with unbiased covariances. Differentiable with respect to both inputs.

    Args:
        source: source features, shape ``[b, d]`` with ``b >= 2``.
        target: target features, shape ``[b', d]`` with ``b' >= 2``.

    Returns:
        A scalar tensor.
    """
    _check_features(source, target, min_rows=2)
    d = source.shape[1]
    diff = _covariance(source) - _covariance(target)
    return (diff * diff).sum() / (4 * d * d)


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
        _check_features(source_feats, target_feats)
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


def mcc_loss(target_logits: Tensor, temperature: float = 2.5) -> Tensor:
    r"""Minimum Class Confusion on unlabelled target predictions.

    Jin, Wang, Long & Wang, "Minimum Class Confusion for Versatile Domain Adaptation",
    ECCV 2020.

    With :math:`\hat Y = \mathrm{softmax}(Z / T)` (shape ``[b, c]``) and
    :math:`H_i = -\sum_j \hat Y_{ij} \log \hat Y_{ij}`:

    .. math::

        W_{ii} = \frac{b\,(1 + e^{-H_i})}{\sum_{i'} (1 + e^{-H_{i'}})}, \qquad
        C = \hat Y^\top W \hat Y, \qquad
        \tilde C_{jj'} = \frac{C_{jj'}}{\sum_{j''} C_{j''j'}}, \qquad
        \ell_{MCC} = \frac{1}{c} \sum_{j} \sum_{j' \ne j} \tilde C_{jj'}

    Confident examples (low entropy) weigh more in the class-confusion matrix :math:`C`.
    The weights are treated as constants (no gradient through them), as in the authors'
    code. The loss is 0 for confident, mutually exclusive predictions and
    :math:`(c-1)/c` for uniform ones.

    Args:
        target_logits: target-domain logits, shape ``[b, c]``.
        temperature: the rescaling temperature ``T > 0``; 2.5 in the paper.

    Returns:
        A scalar tensor.
    """
    if target_logits.dim() != 2:
        raise ValueError(f"logits must be 2-d (batch, classes), got {tuple(target_logits.shape)}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    b, c = target_logits.shape
    log_probs = F.log_softmax(target_logits / temperature, dim=1)
    probs = log_probs.exp()
    with torch.no_grad():
        entropy = -(probs * log_probs).sum(dim=1)
        weight = 1.0 + torch.exp(-entropy)
        weight = b * weight / weight.sum()
    confusion = (probs * weight[:, None]).T @ probs
    # A class nobody predicts can have an all-zero column after underflow; keep it at 0.
    confusion = confusion / confusion.sum(dim=0, keepdim=True).clamp_min(
        torch.finfo(confusion.dtype).tiny
    )
    return (confusion.sum() - confusion.trace()) / c


def entropy_loss(logits: Tensor) -> Tensor:
    r"""Mean prediction entropy (entropy minimisation).

    Grandvalet & Bengio, "Semi-supervised Learning by Entropy Minimization", NeurIPS 2004
    (published 2005).

    .. math:: \ell = -\frac{1}{b} \sum_i \sum_j p_{ij} \log p_{ij},
              \quad p = \mathrm{softmax}(z)

    In nats. Args: ``logits`` of shape ``[b, c]``. Returns a scalar tensor.
    """
    log_probs = F.log_softmax(logits, dim=-1)
    return -(log_probs.exp() * log_probs).sum(dim=-1).mean()


def pseudo_label_loss(logits: Tensor, threshold: float = 0.9) -> Tensor:
    r"""Cross-entropy on the confident argmax pseudo-labels of a target batch.

    The confidence thresholding of FixMatch (Sohn et al., "FixMatch: Simplifying
    Semi-Supervised Learning with Consistency and Confidence", NeurIPS 2020), without its
    weak/strong augmentation pairs: the pseudo-label comes from the same logits.

    .. math::

        \hat y_i = \arg\max_j p_{ij}, \qquad
        \ell = \frac{1}{b} \sum_i \mathbb 1[\max_j p_{ij} \ge \tau]\,
               \mathrm{CE}(z_i, \hat y_i)

    Pseudo-labels and the mask carry no gradient. As in FixMatch, the sum is divided by the
    whole batch size ``b``, so the loss is 0 when no example passes the threshold and grows
    with the fraction that do.

    Args:
        logits: target logits, shape ``[b, c]``.
        threshold: the confidence ``tau`` a softmax probability must reach.

    Returns:
        A scalar tensor.
    """
    with torch.no_grad():
        confidence, labels = F.softmax(logits, dim=-1).max(dim=-1)
        mask = (confidence >= threshold).to(logits.dtype)
    per_example = F.cross_entropy(logits, labels, reduction="none")
    return (per_example * mask).mean()
