"""L2-SP: pull the fine-tuned backbone towards its pretrained weights."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from transferkit.models.classifier import Classifier
from transferkit.strategies.regularizers import register_regularizer


class L2SP(nn.Module):
    """L2-SP (Li, Grandvalet, Davoine, "Explicit Inductive Bias for Transfer Learning with
    Convolutional Networks", ICML 2018): pull the backbone towards its pretrained weights
    rather than towards zero,

        Omega(w) = alpha / 2 * ||w_backbone - w0||^2 + beta / 2 * ||w_head||^2.

    The anchors ``w0`` are snapshots taken when the regulariser is built.
    """

    def __init__(self, classifier: Classifier, alpha: float = 0.01, beta: float = 0.01) -> None:
        super().__init__()
        self.alpha, self.beta = alpha, beta
        # every backbone weight gets an anchor: gradual unfreezing trains more of them later
        self._pairs = [(p, p.detach().clone()) for p in classifier.backbone.parameters()]
        self._head = list(classifier.head.parameters())

    def forward(self, model: nn.Module, inputs: Any, logits: torch.Tensor) -> torch.Tensor:
        drift = sum(((p - p0.to(p.device)) ** 2).sum() for p, p0 in self._pairs if p.requires_grad)
        head = sum((p**2).sum() for p in self._head)
        return 0.5 * self.alpha * drift + 0.5 * self.beta * head  # type: ignore[return-value]


@register_regularizer("l2sp")
def _l2sp(classifier: Classifier, weight: float | None, start: int) -> nn.Module:
    alpha = 0.01 if weight is None else weight
    return L2SP(classifier, alpha=alpha, beta=alpha)
