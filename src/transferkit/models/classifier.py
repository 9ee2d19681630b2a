"""A backbone with a new classification head: the network every strategy trains."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from transferkit.backbones.base import Backbone
from transferkit.models.heads import LinearHead


class Classifier(nn.Module):
    """``head(backbone.forward_features(x))``.

    Modules marked frozen with ``freeze`` keep ``requires_grad=False`` and stay in eval
    mode even when the classifier is put in training mode, so their batch-norm statistics
    and dropout never change: a frozen part computes exactly what it computed before.
    The classifier remembers whether any batch-norm layer of the backbone ever ran in
    training mode (``batchnorm_trained``), so a run can say when drifting statistics may
    explain what it sees, whichever strategy trained it.
    """

    def __init__(
        self, backbone: Backbone, classes: list[str], head: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.classes = list(classes)
        self.head = head if head is not None else LinearHead(backbone.num_features, self.classes)
        self._frozen: list[nn.Module] = []
        self._eval_only: list[nn.Module] = []
        self.last_features: torch.Tensor | None = None
        self.batchnorm_trained = False

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def forward(self, batch: Any) -> torch.Tensor:
        return self.classify(self.backbone.forward_features(batch))

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        """Head logits; the features are kept for regularisers that compare them."""
        self.last_features = features
        return self.head(features)

    def freeze(self, modules: Iterable[nn.Module]) -> None:
        for m in modules:
            m.requires_grad_(False)
            m.eval()
            if not any(m is f for f in self._frozen):
                self._frozen.append(m)

    def unfreeze(self, modules: Iterable[nn.Module]) -> None:
        for m in modules:
            m.requires_grad_(True)
            self._frozen = [f for f in self._frozen if f is not m]
        if self.backbone.source_head is not None:  # never trained: only a reference
            self.backbone.source_head.requires_grad_(False)
        self.train(self.training)

    def freeze_backbone(self) -> None:
        self.freeze([self.backbone])

    def freeze_norm_statistics(self) -> None:
        """Keep the backbone's batch-norm layers on their pretrained running statistics
        (their scale and shift still train): small batches of a small data set estimate
        statistics poorly."""
        self._eval_only = [
            m for m in self.backbone.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
        ]
        self.train(self.training)

    def train(self, mode: bool = True) -> Classifier:
        super().train(mode)
        for m in [*self._frozen, *self._eval_only]:
            m.eval()
        if mode and not self.batchnorm_trained:
            self.batchnorm_trained = any(
                m.training
                for m in self.backbone.modules()
                if isinstance(m, nn.modules.batchnorm._BatchNorm)
            )
        return self

    def trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def total_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
