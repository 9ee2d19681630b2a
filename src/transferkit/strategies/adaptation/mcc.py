"""MCC: minimum class confusion on the target's predictions."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from transferkit.strategies.adaptation.base import AdaptationMethod, MethodPenalty
from transferkit.strategies.base import register_strategy


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


@register_strategy("mcc")
class Mcc(AdaptationMethod):
    summary = "adaptation: minimum class confusion on target predictions (MCC)"

    def penalty(self, domain: Any, in_features: int) -> tuple[Any, list[nn.Parameter]]:
        loss = lambda d, p: mcc_loss(d.target_logits)  # noqa: E731
        return MethodPenalty(domain, loss, self.config.weight), []
