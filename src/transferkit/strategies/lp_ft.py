"""LP-FT (Kumar, Raghunathan, Jones, Ma, Liang, "Fine-Tuning can Distort Pretrained
Features and Underperform Out-of-Distribution", ICLR 2022): fit a linear probe first (on
the cached features, at no extra backbone cost), then fine-tune everything starting from
that head, so the first gradient steps do not tear the features apart to fit a random
head."""

from __future__ import annotations

from dataclasses import dataclass

from transferkit.config import option
from transferkit.data.dataset import Splits
from transferkit.models.classifier import Classifier
from transferkit.strategies.base import FitContext, Strategy, StrategyResult, register_strategy
from transferkit.strategies.finetune import FinetuneConfig, run_training, training_notes
from transferkit.strategies.linear_probe import (
    LinearProbeConfig,
    embedding_seconds,
    fit_linear_probe,
)
from transferkit.training.estimate import StepTimes


@dataclass
class LPFTConfig(FinetuneConfig):
    head_lr: float = option(
        1e-4, "Learning rate of the (already fitted) head while fine-tuning.", min=0
    )
    C: float | None = option(
        None, "Inverse L2 strength of the probe; chosen by cross-validation if unset.", min=0
    )


@register_strategy("lp-ft")
class LPFT(Strategy[LPFTConfig]):
    summary = "linear probe on cached features, then fine-tune all weights from that head"
    Config = LPFTConfig

    def estimated_seconds(self, times: StepTimes, splits: Splits) -> float | None:
        tuning = super().estimated_seconds(times, splits) or 0.0
        return embedding_seconds(times, splits) + tuning

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg = self.config
        probe = fit_linear_probe(model, ctx, LinearProbeConfig(C=cfg.C))
        model.unfreeze([model.backbone])
        history, lr = run_training(model, ctx, cfg)
        notes = [*probe.notes, *training_notes(model, history, cfg)]
        return StrategyResult(history, notes, {**probe.details, "backbone_lr": lr})
