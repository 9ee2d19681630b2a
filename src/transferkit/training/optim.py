"""Optimiser parameter groups and the learning-rate schedule."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
from torch import nn


def param_group(
    params: Iterable[nn.Parameter], lr: float, weight_decay: float, name: str
) -> dict[str, object]:
    """AdamW group; biases and normalisation weights (1-d tensors) get no weight decay."""
    decay, no_decay = [], []
    for p in params:
        (no_decay if p.ndim <= 1 else decay).append(p)
    groups = []
    if decay:
        groups.append({"params": decay, "lr": lr, "weight_decay": weight_decay, "name": name})
    if no_decay:
        groups.append(
            {"params": no_decay, "lr": lr, "weight_decay": 0.0, "name": f"{name}.no_decay"}
        )
    return groups  # type: ignore[return-value]


def layerwise_groups(
    blocks: Sequence[nn.Module],
    lr: float,
    decay: float | None,
    weight_decay: float,
    prefix: str = "block",
) -> list[dict[str, object]]:
    """One group per block; with ``decay`` (e.g. 0.8) block ``i`` of ``n`` trains at
    ``lr * decay ** (n - 1 - i)``, so early, general layers move least (discriminative
    learning rates, Howard & Ruder 2018)."""
    n = len(blocks)
    groups: list[dict[str, object]] = []
    seen: set[int] = set()
    for i, block in enumerate(blocks):
        scale = decay ** (n - 1 - i) if decay else 1.0
        params = [p for p in block.parameters() if id(p) not in seen]
        seen.update(id(p) for p in params)
        groups += param_group(params, lr * scale, weight_decay, f"{prefix}{i}")
    return groups


def warmup_cosine(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up from 0 to each group's rate, then cosine decay to 0."""

    def factor(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
