"""The baseline every comparison needs: the same architecture, randomly initialised,
trained on the same data with a recipe suited to training from scratch (a higher rate
for every weight, more epochs, more patience). When it matches a pretrained strategy,
transfer is not helping."""

from __future__ import annotations

from dataclasses import dataclass

from transferkit.config import option
from transferkit.models.classifier import Classifier
from transferkit.strategies.base import FitContext, Strategy, StrategyResult, register_strategy
from transferkit.strategies.finetune import FinetuneConfig, run_training, training_notes


@dataclass
class ScratchConfig(FinetuneConfig):
    epochs: int = option(30, "Maximum epochs over the training split.", min=1)
    lr: float | None = option(1e-3, "Learning rate of every weight.", min=0)
    head_lr: float = option(1e-3, "Learning rate of the head.", min=0)
    weight_decay: float = option(
        0.05, "AdamW weight decay (not applied to biases and norms).", min=0
    )
    patience: int | None = option(8, "Stop after this many epochs without validation gain.", min=1)


@register_strategy("scratch")
class Scratch(Strategy[ScratchConfig]):
    summary = "same architecture, random initialisation: the no-transfer baseline"
    Config = ScratchConfig
    uses_pretrained_weights = False

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg = self.config
        history, lr = run_training(model, ctx, cfg)
        notes = [
            "randomly initialised backbone (no transfer)",
            *training_notes(model, history, cfg),
        ]
        return StrategyResult(history, notes, {"backbone_lr": lr})
