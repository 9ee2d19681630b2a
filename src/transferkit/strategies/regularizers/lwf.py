"""Learning without Forgetting: keep the original network's outputs on the new data."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from transferkit.models.classifier import Classifier
from transferkit.strategies.regularizers import register_regularizer


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


@register_regularizer("lwf")
def _lwf(classifier: Classifier, weight: float | None, start: int) -> nn.Module:
    return LwF(classifier, weight=1.0 if weight is None else weight, start=start)
