"""Multi-task learning: one backbone, one head per label column, trained jointly.

The loss is the weighted sum of each task's cross-entropy, ``sum_t w_t CE_t``; model
selection uses the mean of the tasks' validation accuracies. The heads' logits are
concatenated in task order, so a saved model predicts every task at once
(``model.predict(inputs, task="topic")``). Give the label columns with ``--tasks
sentiment,topic`` (the first is the main one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from transferkit.backbones.base import Backbone
from transferkit.config import option
from transferkit.data.dataset import Dataset, Splits
from transferkit.errors import ConfigError, IncompatibleError
from transferkit.models.classifier import Classifier
from transferkit.models.heads import MultiHead
from transferkit.strategies.base import FitContext, Strategy, StrategyResult, register_strategy
from transferkit.strategies.finetune import FinetuneConfig, run_training, training_notes


class MultiTaskLoss:
    """``sum_t w_t CE(logits_t, y_t)`` over the slices of the concatenated logits."""

    def __init__(self, sizes: list[int], weights: list[float]) -> None:
        self.sizes, self.weights = sizes, weights

    def __call__(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        parts = torch.split(logits, self.sizes, dim=1)
        return sum(
            w * nn.functional.cross_entropy(z, labels[:, t])
            for t, (z, w) in enumerate(zip(parts, self.weights, strict=True))
        )  # type: ignore[return-value]

    def accuracy(self, logits: torch.Tensor, labels: torch.Tensor) -> float:
        parts = torch.split(logits, self.sizes, dim=1)
        return float(
            np.mean(
                [float((z.argmax(1) == labels[:, t]).float().mean()) for t, z in enumerate(parts)]
            )
        )


@dataclass
class MultiTaskConfig(FinetuneConfig):
    task_weights: list[float] | None = option(  # noqa: RUF009 - a dataclass field with help text
        None,
        "Loss weight of each task, in the order of --tasks (default: all 1).",
    )


def encode_tasks(ds: Dataset, task_classes: dict[str, list[str]]) -> np.ndarray:
    return np.stack([ds.encode(classes, task) for task, classes in task_classes.items()], axis=1)


@register_strategy("multitask")
class MultiTask(Strategy[MultiTaskConfig]):
    summary = "one backbone, one head per label column (--tasks), trained jointly"
    Config = MultiTaskConfig

    def check(self, backbone: Backbone, splits: Splits) -> None:
        if len(splits.task_classes) < 2:
            raise IncompatibleError(
                "multitask needs two or more label columns; name them with --tasks "
                "(e.g. --tasks sentiment,topic)."
            )
        weights = self.config.task_weights
        if weights is not None and len(weights) != len(splits.task_classes):
            raise ConfigError(
                f"task_weights has {len(weights)} values for {len(splits.task_classes)} tasks; "
                "give one weight per task."
            )

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg = self.config
        tasks = ctx.splits.task_classes
        model.head = MultiHead(model.backbone.num_features, tasks).to(
            next(model.parameters()).device
        )
        loss = MultiTaskLoss(
            [len(c) for c in tasks.values()], cfg.task_weights or [1.0] * len(tasks)
        )
        train = ctx.loader(
            model.backbone,
            ctx.splits.train,
            encode_tasks(ctx.splits.train, tasks),
            batch_size=cfg.batch_size,
            train=True,
            augment=cfg.augment,
        )
        val = ctx.loader(
            model.backbone,
            ctx.validation,
            encode_tasks(ctx.validation, tasks),
            batch_size=cfg.batch_size * 2,
            train=False,
        )
        history, lr = run_training(
            model, ctx, cfg, train=train, val=val, objective=loss, metric=loss.accuracy
        )
        notes = [
            f"tasks: {', '.join(tasks)} (weights {', '.join(map(str, loss.weights))})",
            *training_notes(model, history, cfg),
        ]
        return StrategyResult(history, notes, {"tasks": tasks, "backbone_lr": lr})
