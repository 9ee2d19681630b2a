"""Partial fine-tuning, the hybrid of feature extraction and fine-tuning: the first k
blocks stay frozen, the rest and the head train.

The frozen prefix runs in eval mode, so its output for an example never changes: it is
computed once and kept, and every epoch runs only the trainable blocks. Augmentation
changes the input, so a cache cannot hold every augmented view; it holds ``views``
augmented views per training example (drawn once, with the seed) and each epoch picks one
of them at random. ``views=0`` trains on the plain view only; ``cache_prefix=false``
recomputes the prefix every step with fresh augmentation (slower, unlimited views).
"""

from __future__ import annotations

from dataclasses import dataclass

from transferkit.backbones.base import Backbone
from transferkit.config import option
from transferkit.data.dataset import Splits
from transferkit.errors import ConfigError, IncompatibleError
from transferkit.features.prefix import Suffix, prefix_states, state_loader
from transferkit.models.classifier import Classifier
from transferkit.strategies.base import FitContext, Strategy, StrategyResult, register_strategy
from transferkit.strategies.finetune import FinetuneConfig, run_training, training_notes


@dataclass
class PartialConfig(FinetuneConfig):
    freeze: float = option(
        0.5,
        "Blocks to freeze from the input side: a count (e.g. 9) or a fraction of the "
        "blocks (e.g. 0.5).",
        min=0,
    )
    views: int = option(
        4, "Augmented views cached per training example (0: the plain view only).", min=0, max=64
    )
    cache_prefix: bool = option(True, "Compute the frozen blocks once per view and keep them.")

    def validate(self) -> None:
        if self.freeze >= 1 and not float(self.freeze).is_integer():
            raise ConfigError(
                f"freeze={self.freeze} is neither a whole number of blocks nor a fraction below 1; "
                "give e.g. 9 or 0.5."
            )


def frozen_blocks(freeze: float, backbone: Backbone) -> int:
    n = len(backbone.blocks())
    k = round(freeze * n) if freeze < 1 else int(freeze)
    if n < 2:
        raise IncompatibleError(
            f"{backbone.source} is not split into blocks, so none can be frozen apart; use "
            "finetune or linear-probe."
        )
    if not 1 <= k < n:
        raise IncompatibleError(
            f"freeze={freeze:g} gives {k} frozen blocks, but {backbone.source} has {n}; freeze "
            f"between 1 and {n - 1} blocks (or a fraction such as 0.5)."
        )
    return k


@register_strategy("partial")
class Partial(Strategy[PartialConfig]):
    summary = "freeze the first k blocks (computed once and cached), train the rest and the head"
    Config = PartialConfig

    def check(self, backbone: Backbone, splits: Splits) -> None:
        frozen_blocks(self.config.freeze, backbone)

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg = self.config
        backbone = model.backbone
        k = frozen_blocks(cfg.freeze, backbone)
        model.freeze(backbone.blocks()[:k])
        note = f"blocks 1-{k} of {len(backbone.blocks())} frozen"
        if cfg.cache_prefix and not backbone.staged:
            note += f", recomputed every step ({backbone.source} cannot run block by block)"
        if not cfg.cache_prefix or not backbone.staged:
            history, lr = run_training(model, ctx, cfg)
            return StrategyResult(
                history, [note, *training_notes(model, history, cfg)], {"frozen_blocks": k}
            )
        train_views = [
            prefix_states(
                backbone,
                ctx.splits.train.inputs,
                k,
                augment=True,
                progress=ctx.progress,
                description=f"Frozen blocks, augmented view {v + 1}/{cfg.views}",
            )
            for v in range(cfg.views if cfg.augment else 0)
        ] or [prefix_states(backbone, ctx.splits.train.inputs, k, progress=ctx.progress)]
        val_states = prefix_states(
            backbone,
            ctx.validation.inputs,
            k,
            progress=ctx.progress,
            description="Frozen blocks, validation",
        )
        train = state_loader(
            backbone,
            train_views,
            ctx.y_train,
            batch_size=cfg.batch_size,
            shuffle=True,
            seed=ctx.seed,
        )
        val = state_loader(
            backbone,
            [val_states],
            ctx.validation_labels,
            batch_size=cfg.batch_size * 2,
            shuffle=False,
            seed=ctx.seed,
        )
        history, lr = run_training(
            model, ctx, cfg, module=Suffix(model, k), train=train, val=val, start_block=k
        )
        notes = [
            f"{note}, cached ({len(train_views)} view(s) per training example)",
            *training_notes(model, history, cfg),
        ]
        return StrategyResult(history, notes, {"frozen_blocks": k, "backbone_lr": lr})
