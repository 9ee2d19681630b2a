"""Regularisers that limit forgetting while fine-tuning, combinable with every strategy
that trains backbone weights (``--regularizer l2sp`` or ``lwf``)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from transferkit.models.classifier import Classifier
from transferkit.registry import Registry


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


class LwF(nn.Module):
    """Learning without Forgetting (Li & Hoiem, ECCV 2016; TPAMI 2018): keep the source
    task's outputs on the new data close to what the original model gave,

        weight * T^2 * KL(softmax(z_old / T) || softmax(z_new / T)),

    with ``z`` the backbone's original (source) classifier applied to its features. A
    backbone without a source classifier (a sentence encoder) keeps its features close
    instead: ``weight * mean ||f_new - f_old||^2``.

    The original model is a frozen copy taken when the regulariser is built; ``start`` is
    the first block the trained module runs (later blocks than 0 when a frozen prefix is
    cached, whose states are then the inputs).
    """

    def __init__(
        self, classifier: Classifier, weight: float = 1.0, temperature: float = 2.0, start: int = 0
    ) -> None:
        super().__init__()
        self.weight, self.temperature, self.start = weight, temperature, start
        self.classifier = [classifier]  # a list: not a submodule of the penalty
        original = copy.deepcopy(classifier.backbone).eval()
        original.requires_grad_(False)
        self.original = original

    @torch.no_grad()
    def _old_features(self, inputs: Any) -> torch.Tensor:
        bb = self.original
        state = bb.start(inputs) if self.start == 0 else inputs
        return bb.finish(bb.run_blocks(state, self.start, len(bb.blocks())))

    def forward(self, model: nn.Module, inputs: Any, logits: torch.Tensor) -> torch.Tensor:
        classifier = self.classifier[0]
        new = classifier.last_features
        old = self._old_features(inputs)
        head = classifier.backbone.source_head
        if head is None:
            return self.weight * ((new - old) ** 2).sum(dim=1).mean()
        t = self.temperature
        old_p = torch.softmax(head(old) / t, dim=1)
        new_logp = torch.log_softmax(head(new) / t, dim=1)
        kl = (old_p * (torch.log(old_p.clamp_min(1e-12)) - new_logp)).sum(dim=1).mean()
        return self.weight * t * t * kl


RegularizerFactory = Callable[[Classifier, float | None, int], nn.Module]
REGULARIZERS: Registry[RegularizerFactory] = Registry("regularizer")


@REGULARIZERS.register("l2sp")
def _l2sp(classifier: Classifier, weight: float | None, start: int) -> nn.Module:
    alpha = 0.01 if weight is None else weight
    return L2SP(classifier, alpha=alpha, beta=alpha)


@REGULARIZERS.register("lwf")
def _lwf(classifier: Classifier, weight: float | None, start: int) -> nn.Module:
    return LwF(classifier, weight=1.0 if weight is None else weight, start=start)


def build_regularizer(
    name: str | None, classifier: Classifier, weight: float | None, start: int = 0
) -> list[nn.Module]:
    return [] if name is None else [REGULARIZERS.get(name)(classifier, weight, start)]
