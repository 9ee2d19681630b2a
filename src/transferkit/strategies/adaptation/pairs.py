"""Batches that carry labelled source examples and unlabelled target examples together,
and the module that runs the classifier on both."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.data import Dataset as TorchDataset

from transferkit.models.classifier import Classifier
from transferkit.runtime import to_device


@dataclass
class PairBatch:
    """A source batch and a target batch of the same size (the target has no labels)."""

    source: Any
    target: Any

    def to(self, device: torch.device) -> PairBatch:  # accelerate moves batches with .to()
        return PairBatch(to_device(self.source, device), to_device(self.target, device))


class SourceWithTarget(TorchDataset):
    """Item ``i``: source example ``i`` with its label, and a random target example (drawn
    with torch's seeded generator). Target labels are never read."""

    def __init__(
        self,
        source: Sequence[Any],
        labels: np.ndarray,
        target: Sequence[Any],
        prepare: Callable[[Any, bool], Any],
        augment: bool,
    ) -> None:
        self.source, self.labels, self.target = source, labels, target
        self.prepare, self.augment = prepare, augment

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, i: int) -> tuple[tuple[Any, Any], int]:
        j = int(torch.randint(len(self.target), (1,)))
        pair = (
            self.prepare(self.source[i], self.augment),
            self.prepare(self.target[j], self.augment),
        )
        return pair, int(self.labels[i])


def paired_loader(
    backbone: Any,
    source: Sequence[Any],
    labels: np.ndarray,
    target: Sequence[Any],
    *,
    batch_size: int,
    augment: bool,
    seed: int,
) -> DataLoader:
    def collate(items: list[tuple[tuple[Any, Any], int]]) -> tuple[PairBatch, torch.Tensor]:
        pairs, ys = zip(*items, strict=True)
        batch = PairBatch(
            backbone.collate([p[0] for p in pairs]), backbone.collate([p[1] for p in pairs])
        )
        return batch, torch.tensor(ys, dtype=torch.long)

    dataset = SourceWithTarget(source, labels, target, backbone.prepare, augment)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        drop_last=len(source) > batch_size,
        generator=torch.Generator().manual_seed(seed),
        collate_fn=collate,
    )


class DomainModel(nn.Module):
    """Runs the classifier on a ``PairBatch`` and returns the source logits; the features
    and logits of both domains are kept for the adaptation loss. Plain batches (source
    validation) are classified as usual."""

    def __init__(self, classifier: Classifier) -> None:
        super().__init__()
        self.classifier = classifier
        self.source_features: torch.Tensor | None = None
        self.target_features: torch.Tensor | None = None
        self.source_logits: torch.Tensor | None = None
        self.target_logits: torch.Tensor | None = None

    def forward(self, batch: Any) -> torch.Tensor:
        if not isinstance(batch, PairBatch):
            return self.classifier(batch)
        backbone = self.classifier.backbone
        n = (
            len(batch.source)
            if isinstance(batch.source, torch.Tensor)
            else batch.source["input_ids"].shape[0]
        )
        both = _concat(batch.source, batch.target)
        features = backbone.forward_features(both)
        logits = self.classifier.head(features)
        self.source_features, self.target_features = features[:n], features[n:]
        self.source_logits, self.target_logits = logits[:n], logits[n:]
        return logits[:n]


def _concat(a: Any, b: Any) -> Any:
    """One forward pass over both domains (batch norm then sees them together, as in the
    methods' papers); text batches are padded to a common length first."""
    if isinstance(a, torch.Tensor):
        return torch.cat([a, b])
    length = max(a["input_ids"].shape[1], b["input_ids"].shape[1])
    pad = lambda t: nn.functional.pad(t, (0, length - t.shape[1]))  # noqa: E731
    return {k: torch.cat([pad(a[k]), pad(b[k])]) for k in a}
