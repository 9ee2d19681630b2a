"""What training and embedding cost here, measured on a few real steps before committing
to them: ``auto`` uses it to keep within a time budget.

The measurement runs on a copy of the network (the real one's weights and random state
stay untouched): one frozen forward pass in eval mode, and a few training steps (forward,
backward, AdamW) of the whole network in train mode, each after a warm-up step that pays
for lazy initialisation. Strategies turn the two per-example times into an estimate for
their own schedule (``Strategy.estimated_seconds``). Estimates assume the whole network
trains, so for strategies that freeze part of it they are an upper bound.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass(frozen=True)
class StepTimes:
    """Seconds per example on this machine, now."""

    forward: float  # a frozen forward pass (embedding, evaluation)
    train: float  # a training step of the whole network

    def training(self, epochs: int, n_train: int, n_val: int) -> float:
        """``epochs`` epochs over ``n_train`` examples, each followed by validation."""
        return epochs * (n_train * self.train + n_val * self.forward)


def measure(classifier: torch.nn.Module, batch: Any, targets: torch.Tensor) -> StepTimes:
    """Time one forward pass and two training steps on one batch (on the model's device)."""
    model = copy.deepcopy(classifier)
    n = len(targets)
    with torch.random.fork_rng():
        model.eval()
        with torch.inference_mode():
            model(batch)
            start = time.perf_counter()
            model(batch)
            forward = time.perf_counter() - start
        model.train()
        for p in model.parameters():
            p.requires_grad_(True)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
        steps = []
        for _ in range(3):  # the first is the warm-up
            start = time.perf_counter()
            torch.nn.functional.cross_entropy(model(batch), targets).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            steps.append(time.perf_counter() - start)
    return StepTimes(forward / n, float(np.median(steps[1:])) / n)


def duration(seconds: float) -> str:
    """``40 s``, ``6 min``, ``2.5 h``: as precise as an estimate deserves."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def parse_budget(text: str) -> float | None:
    """``'10m'``, ``'90s'``, ``'1.5h'`` or a number of seconds -> seconds; ``'none'`` -> no
    limit. ``None`` if the text is none of these."""
    text = text.strip().lower()
    if text == "none":
        return float("inf")
    scale = {"s": 1, "m": 60, "h": 3600}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in "smh" else text
    try:
        value = float(number) * scale
    except ValueError:
        return None
    return value if value >= 0 else None
