"""Gradual unfreezing (Howard & Ruder, "Universal Language Model Fine-tuning for Text
Classification", ACL 2018; fastai's ``fine_tune``): train the head alone first, then
unfreeze the backbone from the top down, one group of blocks per stage, with
discriminative learning rates (earlier blocks slower)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from transferkit.backbones.base import Backbone
from transferkit.config import option
from transferkit.data.dataset import Splits
from transferkit.errors import IncompatibleError
from transferkit.models.classifier import Classifier
from transferkit.runtime import num_processes
from transferkit.strategies.base import FitContext, Strategy, StrategyResult, register_strategy
from transferkit.strategies.finetune import FinetuneConfig, run_training, training_notes
from transferkit.training.loop import Callback, Trainer


@dataclass
class GradualConfig(FinetuneConfig):
    epochs: int = option(10, "Epochs in all, the head-only ones included.", min=2)
    head_epochs: int = option(1, "Epochs training the head alone before unfreezing.", min=1)
    stages: int = option(4, "Groups of blocks unfrozen one after another, top group first.", min=1)
    epochs_per_stage: int = option(1, "Epochs between unfreezing one group and the next.", min=1)
    layer_decay: float | None = option(
        0.8, "Scale each earlier block's rate by this factor (discriminative rates).", min=0, max=1
    )
    patience: int | None = option(
        None, "Stop after this many epochs without validation gain (counted from the start).", min=1
    )


class Unfreeze(Callback):
    """At the start of each scheduled epoch, unfreeze the next group of blocks."""

    def __init__(self, model: Classifier, schedule: dict[int, list]) -> None:
        self.model, self.schedule = model, schedule

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        if epoch in self.schedule:
            self.model.unfreeze(self.schedule[epoch])
            trainer.progress.note(
                f"epoch {epoch + 1}: unfroze {len(self.schedule[epoch])} more blocks"
            )


def unfreeze_schedule(n_blocks: int, cfg: GradualConfig) -> dict[int, list[int]]:
    """Epoch -> block indices it unfreezes, top group first."""
    size = math.ceil(n_blocks / min(cfg.stages, n_blocks))
    groups = [list(range(max(0, stop - size), stop)) for stop in range(n_blocks, 0, -size)]
    return {cfg.head_epochs + i * cfg.epochs_per_stage: g for i, g in enumerate(groups)}


@register_strategy("gradual")
class Gradual(Strategy[GradualConfig]):
    summary = "head first, then unfreeze blocks top-down with discriminative rates (ULMFiT)"
    Config = GradualConfig

    def check(self, backbone: Backbone, splits: Splits) -> None:
        if num_processes() > 1:
            raise IncompatibleError(
                "gradual changes which weights train during training, which distributed data "
                "parallel does not allow; run it in one process, or use finetune or partial."
            )

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg = self.config
        blocks = model.backbone.blocks()
        schedule = unfreeze_schedule(len(blocks), cfg)
        callback = Unfreeze(model, {e: [blocks[i] for i in idx] for e, idx in schedule.items()})
        model.freeze(blocks)  # parts outside the blocks (pooling) train with the head throughout
        history, _ = run_training(model, ctx, cfg, callbacks=[callback])
        stages = ", ".join(
            f"epoch {e + 1}: blocks {min(i) + 1}-{max(i) + 1}" for e, i in schedule.items()
        )
        notes = [
            f"head alone for {cfg.head_epochs} epoch(s), then unfrozen {stages}",
            *training_notes(model, history, cfg),
        ]
        return StrategyResult(
            history, notes, {"schedule": {str(e + 1): i for e, i in schedule.items()}}
        )
