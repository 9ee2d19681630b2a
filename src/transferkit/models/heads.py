"""Classification heads, described as data.

Every head is an ``nn.Module`` that answers three questions the rest of the package asks
without knowing which strategy built it: ``spec()`` (a JSON-able description recorded in
``config.json``, from which ``build_head`` rebuilds the same architecture), ``tasks``
(label-column name -> classes, in the order of its logits) and ``representation(x)``
(what its last linear layer sees: the features themselves, or a bottleneck's output).

The parameter names are those of the plain modules they extend (``weight``/``bias``,
``0.weight``..., ``heads.<task>.weight``), so model directories of format 1 load as is.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from transferkit.errors import ModelDirError

MAIN_TASK = "label"


class Described:
    """What every head says about itself; ``kind`` names it in ``config.json``."""

    kind: str
    in_features: int
    tasks: dict[str, list[str]]

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "in_features": self.in_features, "tasks": self.tasks}


class LinearHead(nn.Linear, Described):
    """One linear layer: the head of feature extraction and fine-tuning."""

    kind = "linear"

    def __init__(self, in_features: int, classes: list[str], task: str = MAIN_TASK) -> None:
        super().__init__(in_features, len(classes))
        self.tasks = {task: list(classes)}

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        return x


class BottleneckHead(nn.Sequential, Described):
    """Linear -> BatchNorm -> ReLU -> Dropout -> Linear: the head of domain adaptation,
    whose bottleneck output is the representation the methods align."""

    kind = "bottleneck"

    def __init__(self, in_features: int, width: int, classes: list[str]) -> None:
        super().__init__(
            nn.Linear(in_features, width),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(width, len(classes)),
        )
        self.tasks = {MAIN_TASK: list(classes)}
        self.in_features, self.width = in_features, width

    def spec(self) -> dict[str, Any]:
        return {**super().spec(), "width": self.width}

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        for layer in list(self)[:-1]:  # not self[:-1]: slicing rebuilds the container class
            x = layer(x)
        return x

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The bottleneck features and the logits, in one pass."""
        z = self.representation(x)
        return z, self[-1](z)


class MultiHead(nn.Module, Described):
    """One linear head per task; the output is their logits side by side, in task order."""

    kind = "multi"

    def __init__(self, in_features: int, tasks: dict[str, list[str]]) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({t: nn.Linear(in_features, len(c)) for t, c in tasks.items()})
        self.tasks = {t: list(c) for t, c in tasks.items()}
        self.in_features = in_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.cat([head(features) for head in self.heads.values()], dim=1)

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        return x


def build_head(spec: dict[str, Any]) -> nn.Module:
    """The head a ``spec()`` describes, freshly initialised (weights are loaded after)."""
    kind, tasks, width = spec.get("type"), spec.get("tasks") or {}, spec.get("in_features")
    if not isinstance(width, int) or not isinstance(tasks, dict) or not tasks:
        raise ModelDirError(f"The head description {spec} is incomplete; re-run the fit.")
    if kind == "multi":
        return MultiHead(width, tasks)
    (task, classes), *rest = tasks.items()
    if kind == "linear" and not rest:
        return LinearHead(width, classes, task)
    if kind == "bottleneck" and not rest:
        return BottleneckHead(width, int(spec["width"]), classes)
    raise ModelDirError(f"Unknown head type {kind!r} in the model directory; re-run the fit.")


def task_slices(tasks: dict[str, list[str]]) -> dict[str, slice]:
    """Where each task's logits sit in a head's output."""
    out, start = {}, 0
    for task, classes in tasks.items():
        out[task] = slice(start, start + len(classes))
        start += len(classes)
    return out
