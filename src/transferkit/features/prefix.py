"""Outputs of a frozen prefix of a backbone, computed once per example (and per cached
augmented view), so training runs only the blocks after it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.data import Dataset as TorchDataset

from transferkit.backbones.base import Backbone
from transferkit.data.batches import make_loader
from transferkit.features.extract import eval_mode, infer_batch_size
from transferkit.progress import SILENT, Progress
from transferkit.runtime import to_device


@torch.no_grad()  # not inference_mode: the states feed layers that are trained
def prefix_states(
    backbone: Backbone,
    inputs: Sequence[Any],
    stop: int,
    *,
    augment: bool = False,
    batch_size: int | None = None,
    progress: Progress = SILENT,
    description: str = "Running frozen blocks",
) -> list[Any]:
    """The state after blocks ``[0, stop)`` of every input, one entry per input, with the
    prefix in eval mode (so an example's state does not depend on its batch-mates)."""
    loader = make_loader(
        backbone, inputs, None, batch_size=batch_size or infer_batch_size(backbone), augment=augment
    )
    device = next(backbone.parameters()).device
    out: list[Any] = []
    with eval_mode(backbone):
        for batch, _ in progress.track(loader, len(loader), description):
            state = backbone.run_blocks(backbone.start(to_device(batch, device)), 0, stop)
            out.extend(s.clone() for s in backbone.split_state(state))
    return out


class CachedViews(TorchDataset):
    """Cached prefix states, ``views[v][i]`` for view ``v`` of example ``i``; each access
    draws one of the example's views at random (seeded through torch's generator)."""

    def __init__(self, views: list[list[Any]], labels: np.ndarray) -> None:
        self.views, self.labels = views, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[Any, int]:
        v = int(torch.randint(len(self.views), (1,))) if len(self.views) > 1 else 0
        return self.views[v][i], int(self.labels[i])


def state_loader(
    backbone: Backbone,
    views: list[list[Any]],
    labels: np.ndarray,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int,
) -> DataLoader:
    def collate(pairs: list[tuple[Any, int]]) -> tuple[Any, torch.Tensor]:
        states, ys = zip(*pairs, strict=True)
        return backbone.merge_states(list(states)), torch.tensor(ys, dtype=torch.long)

    return DataLoader(
        CachedViews(views, labels),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=torch.Generator().manual_seed(seed),
        collate_fn=collate,
    )


class Suffix(nn.Module):
    """The trainable rest of a classifier: blocks ``[start, n)``, pooling and head, fed
    with cached prefix states."""

    def __init__(self, classifier: nn.Module, start: int) -> None:
        super().__init__()
        self.classifier = classifier
        self.start = start

    def forward(self, state: Any) -> torch.Tensor:
        backbone = self.classifier.backbone
        state = backbone.run_blocks(state, self.start, len(backbone.blocks()))
        return self.classifier.classify(backbone.finish(state))
