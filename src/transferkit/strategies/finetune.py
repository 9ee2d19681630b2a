"""Fine-tuning: every weight trains, the backbone slowly and the new head faster.

AdamW, linear warm-up then cosine decay, augmentation suited to the modality, early
stopping and best-checkpoint selection on the validation split. ``layer_decay`` gives
earlier blocks smaller rates (discriminative fine-tuning).
"""

from __future__ import annotations

from dataclasses import dataclass

from transferkit.config import option
from transferkit.models.classifier import Classifier
from transferkit.strategies.base import (
    FitContext,
    Strategy,
    StrategyConfig,
    StrategyResult,
    register_strategy,
)
from transferkit.training.loop import Trainer, TrainSettings
from transferkit.training.optim import layerwise_groups, param_group

# Backbone rates that suit AdamW on pretrained weights, by modality.
DEFAULT_LR = {"image": 3e-4, "text": 5e-5, "audio": 1e-4}


@dataclass
class FinetuneConfig(StrategyConfig):
    epochs: int = option(10, "Maximum epochs over the training split.", min=1)
    batch_size: int = option(16, "Examples per step.", min=1)
    lr: float | None = option(
        None, "Backbone learning rate (default: 3e-4 for images, 5e-5 for text).", min=0
    )
    head_lr: float = option(3e-3, "Learning rate of the new head.", min=0)
    weight_decay: float = option(
        0.01, "AdamW weight decay (not applied to biases and norms).", min=0
    )
    warmup: float = option(
        0.1, "Share of steps spent warming the learning rate up.", min=0, max=0.5
    )
    layer_decay: float | None = option(
        None,
        "Scale each earlier block's rate by this factor (e.g. 0.8); unset: one rate.",
        min=0,
        max=1,
    )
    patience: int | None = option(3, "Stop after this many epochs without validation gain.", min=1)
    augment: bool = option(True, "Augment training inputs (random crops and flips; word dropout).")
    label_smoothing: float = option(
        0.0, "Label smoothing of the cross-entropy loss.", min=0, max=0.5
    )
    max_grad_norm: float | None = option(1.0, "Clip gradients to this norm.", min=0)
    freeze_bn: bool = option(
        True, "Keep batch-norm running statistics as pretrained (their affine weights still train)."
    )


def backbone_groups(model: Classifier, lr: float, cfg: FinetuneConfig) -> list[dict[str, object]]:
    """Parameter groups of the trainable backbone: per block with layer decay, else one."""
    backbone = model.backbone
    trainable = [p for p in backbone.parameters() if p.requires_grad]
    if cfg.layer_decay is None:
        return param_group(trainable, lr, cfg.weight_decay, "backbone")
    groups = layerwise_groups(backbone.blocks(), lr, cfg.layer_decay, cfg.weight_decay)
    in_blocks = {id(p) for g in groups for p in g["params"]}  # type: ignore[attr-defined]
    rest = [p for p in trainable if id(p) not in in_blocks]
    groups = [
        {**g, "params": [p for p in g["params"] if p.requires_grad]}  # type: ignore[attr-defined]
        for g in groups
    ]
    return [g for g in groups if g["params"]] + param_group(
        rest, lr, cfg.weight_decay, "backbone.rest"
    )


def train_end_to_end(
    model: Classifier, ctx: FitContext, cfg: FinetuneConfig, note: str
) -> StrategyResult:
    """Train the trainable part of ``model`` (shared by finetune and the strategies built
    on it): backbone groups at ``lr``, head at ``head_lr``."""
    lr = cfg.lr if cfg.lr is not None else DEFAULT_LR[model.backbone.modality]
    if cfg.freeze_bn:
        model.freeze_norm_statistics()
    groups = backbone_groups(model, lr, cfg) + param_group(
        model.head.parameters(), cfg.head_lr, cfg.weight_decay, "head"
    )
    train = ctx.loader(
        model.backbone,
        ctx.splits.train,
        ctx.y_train,
        batch_size=cfg.batch_size,
        train=True,
        augment=cfg.augment,
    )
    assert ctx.splits.val is not None and ctx.y_val is not None, "finetune selects on validation"
    val = ctx.loader(
        model.backbone, ctx.splits.val, ctx.y_val, batch_size=cfg.batch_size * 2, train=False
    )
    settings = TrainSettings(
        cfg.epochs, cfg.patience, cfg.warmup, cfg.max_grad_norm, cfg.label_smoothing
    )
    history = Trainer(settings, ctx.accelerator, ctx.progress).fit(model, groups, train, val)
    notes = [
        note,
        f"best epoch {history.best_epoch} of {len(history.epochs)} (validation accuracy)",
    ]
    return StrategyResult(history, notes, {"backbone_lr": lr})


@register_strategy("finetune")
class Finetune(Strategy):
    summary = "all weights train; small backbone rate, larger head rate, early stopping"
    Config = FinetuneConfig

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg: FinetuneConfig = self.config  # type: ignore[assignment]
        return train_end_to_end(
            model, ctx, cfg, f"{model.trainable_parameters():,} trainable parameters"
        )
