"""Contrastive tuning for few-shot data, SetFit's recipe made cheaper.

SetFit (Tunstall et al., "Efficient Few-Shot Learning Without Prompts", 2022) first
tunes the encoder so that examples of one class embed close together — a cosine-
similarity regression on sentence pairs, target 1 for the same class and 0 otherwise —
and then fits a logistic-regression head on the tuned embeddings. It samples pairs, and
each pair costs two forward and backward passes, which is where its time goes.

Here every batch of B examples yields all its B(B-1)/2 pairs at the cost of B passes:
the same loss, ``mean_{i<j} (cos(e_i, e_j) - [y_i = y_j])^2``, on every pair of the
batch. The head is then the cross-validated logistic regression of ``linear-probe`` on the
tuned (frozen) encoder. No validation split is needed, so none is carved from the few
examples there are.

``freeze`` keeps the lower blocks as pretrained, as ``partial`` does: their outputs are
computed once and each step runs only the blocks above. ``auto`` uses this, with fewer
epochs at a higher rate, for the smallest data sets (see ``strategies/auto.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from transferkit.backbones.base import Backbone
from transferkit.config import option
from transferkit.data.dataset import Splits
from transferkit.errors import ConfigError, IncompatibleError
from transferkit.features.prefix import prefix_states, state_loader
from transferkit.models.classifier import Classifier
from transferkit.strategies.base import (
    FitContext,
    Strategy,
    StrategyConfig,
    StrategyResult,
    register_strategy,
)
from transferkit.strategies.linear_probe import LinearProbeConfig, fit_linear_probe
from transferkit.strategies.partial import frozen_blocks
from transferkit.training.loop import Trainer, TrainSettings
from transferkit.training.optim import param_group


def pairwise_cosine_loss(embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """SetFit's pair loss on every pair of a batch.

    Args:
        embeddings: ``[B, D]``; labels: ``[B]`` class indices.

    Returns:
        ``mean over i < j of (cos(e_i, e_j) - 1[y_i == y_j])^2``.
    """
    e = nn.functional.normalize(embeddings, dim=1)
    cos = e @ e.T
    target = (labels[:, None] == labels[None, :]).to(cos.dtype)
    upper = torch.triu(torch.ones_like(cos, dtype=torch.bool), diagonal=1)
    return ((cos - target)[upper] ** 2).mean()


class Embedder(nn.Module):
    """The backbone alone, so the trainer optimises embeddings rather than logits; from
    block ``start`` on when it is fed cached states of a frozen prefix."""

    def __init__(self, classifier: Classifier, start: int = 0) -> None:
        super().__init__()
        self.classifier = classifier
        self.start = start

    def forward(self, batch: Any) -> torch.Tensor:
        backbone = self.classifier.backbone
        if self.start == 0:
            return backbone.forward_features(batch)
        return backbone.finish(backbone.run_blocks(batch, self.start, len(backbone.blocks())))


def frozen_prefix(freeze: float, backbone: Backbone) -> int:
    """Blocks to keep frozen: as in ``partial``, except that a share of an encoder that is
    not split into blocks (or cannot run block by block) freezes nothing; a count still has
    to fit."""
    if not freeze or (freeze < 1 and (len(backbone.blocks()) < 2 or not backbone.staged)):
        return 0
    if not backbone.staged:
        raise IncompatibleError(
            f"{backbone.source} cannot run block by block, so contrastive cannot compute its "
            "frozen blocks once; set freeze=0."
        )
    return frozen_blocks(freeze, backbone)


@dataclass
class ContrastiveConfig(StrategyConfig):
    epochs: int = option(16, "Passes over the training examples while tuning the encoder.", min=1)
    batch_size: int = option(32, "Examples per batch (each batch gives all its pairs).", min=2)
    lr: float = option(2e-5, "Learning rate of the encoder.", min=0)
    warmup: float = option(
        0.1, "Share of steps spent warming the learning rate up.", min=0, max=0.5
    )
    weight_decay: float = option(0.01, "AdamW weight decay.", min=0)
    augment: bool = option(False, "Augment training inputs while tuning.")
    freeze: float = option(
        0,
        "Blocks kept frozen from the input side, as in partial (a count or a fraction); "
        "their outputs are computed once, so each step runs only the tuned blocks.",
        min=0,
    )
    C: float | None = option(
        None,
        "Inverse L2 strength of the logistic head; chosen by cross-validation if unset.",
        min=0,
    )

    def validate(self) -> None:
        if self.freeze and self.augment:
            raise ConfigError(
                "contrastive computes the frozen blocks once, so it cannot augment them; "
                "set augment=false or freeze=0."
            )


@register_strategy("contrastive")
class Contrastive(Strategy[ContrastiveConfig]):
    summary = "few-shot: tune the encoder on in-batch pairs (SetFit's loss), then a logistic head"
    Config = ContrastiveConfig

    def needs_validation(self) -> bool:
        return False

    def check(self, backbone: Backbone, splits: Splits) -> None:
        frozen_prefix(self.config.freeze, backbone)

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg = self.config
        backbone = model.backbone
        k = frozen_prefix(cfg.freeze, backbone)
        if k:
            model.freeze(backbone.blocks()[:k])
            states = prefix_states(backbone, ctx.splits.train.inputs, k, progress=ctx.progress)
            train = state_loader(
                backbone,
                [states],
                ctx.y_train,
                batch_size=cfg.batch_size,
                shuffle=True,
                seed=ctx.seed,
            )
        else:
            train = ctx.loader(
                backbone,
                ctx.splits.train,
                ctx.y_train,
                batch_size=cfg.batch_size,
                train=True,
                augment=cfg.augment,
            )
        params = [
            p
            for n, p in backbone.named_parameters()
            if p.requires_grad and not n.startswith("source_head")
        ]
        settings = TrainSettings(cfg.epochs, patience=None, warmup_fraction=cfg.warmup)
        trainer = Trainer(settings, ctx.accelerator, ctx.progress, objective=pairwise_cosine_loss)
        groups = param_group(params, cfg.lr, cfg.weight_decay, "encoder")
        history = trainer.fit(Embedder(model, k), groups, train, None)
        # the head sees the tuned encoder through the (content- and weight-keyed) cache
        probe = fit_linear_probe(model, ctx, LinearProbeConfig(C=cfg.C))
        model.unfreeze([backbone])  # report what trained as trainable
        model.freeze(backbone.blocks()[:k])
        pairs = len(ctx.splits.train) * (min(cfg.batch_size, len(ctx.splits.train)) - 1) // 2
        tuned = f"blocks {k + 1}-{len(backbone.blocks())} of the encoder" if k else "encoder"
        notes = [
            f"{tuned} tuned {cfg.epochs} epochs on about {pairs * cfg.epochs:,} in-batch pairs",
            *probe.notes,
        ]
        return StrategyResult(history, notes, probe.details, oof_proba=probe.oof_proba)
