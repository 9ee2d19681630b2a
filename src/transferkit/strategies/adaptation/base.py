"""What the domain-adaptation methods share.

Each method trains on labelled source data plus unlabelled target data. Target labels are
never read here: model selection uses the source validation split. Two modes:

* ``mode=frozen`` (default; fast on a CPU): the backbone stays frozen, its features are
  cached once, and a bottleneck layer plus the head train with the method's loss on the
  bottleneck features — adaptation of the representation the classifier sees, at the cost
  of a few seconds per run;
* ``mode=finetune``: the backbone trains too, source and target batches going through it
  together, as in the methods' papers.

A method is a subclass of ``AdaptationMethod`` in a module of its own that says what loss
it adds (``penalty``), registered with ``@register_strategy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from transferkit.config import option
from transferkit.errors import ConfigError
from transferkit.models.classifier import Classifier
from transferkit.models.heads import BottleneckHead
from transferkit.strategies.adaptation.pairs import DomainModel, PairBatch, paired_loader
from transferkit.strategies.base import FitContext, Strategy, StrategyResult
from transferkit.strategies.finetune import FinetuneConfig, run_training, training_notes
from transferkit.training.loop import Trainer, TrainSettings
from transferkit.training.optim import param_group


@dataclass
class AdaptConfig(FinetuneConfig):
    mode: str = option(
        "frozen",
        "'frozen': cached backbone features, a bottleneck and the head "
        "adapt; 'finetune': the backbone adapts too.",
        choices=("frozen", "finetune"),
    )
    epochs: int = option(30, "Maximum epochs (frozen mode: over cached features).", min=1)
    batch_size: int = option(32, "Source examples (and as many target examples) per step.", min=2)
    bottleneck: int = option(256, "Width of the bottleneck layer before the head.", min=2)
    weight: float = option(1.0, "Weight of the adaptation loss against the source loss.", min=0)
    patience: int | None = option(8, "Stop after this many epochs without validation gain.", min=1)
    augment: bool = option(False, "Augment inputs (finetune mode).")


class FeatureDomainModel(nn.Module):
    """Frozen mode: the bottleneck head on cached features, keeping both domains' bottleneck
    features and logits for the method's loss."""

    def __init__(self, head: BottleneckHead) -> None:
        super().__init__()
        self.head = head
        self.source_features = self.target_features = None
        self.source_logits = self.target_logits = None

    def forward(self, batch: Any) -> torch.Tensor:
        if not isinstance(batch, PairBatch):
            return self.head.split(batch)[1]
        n = batch.source.shape[0]
        z, logits = self.head.split(torch.cat([batch.source, batch.target]))
        self.source_features, self.target_features = z[:n], z[n:]
        self.source_logits, self.target_logits = logits[:n], logits[n:]
        return logits[:n]


def feature_pairs(
    source: np.ndarray, labels: np.ndarray, target: np.ndarray, batch: int, seed: int
) -> DataLoader:
    gen = torch.Generator().manual_seed(seed)
    target_t = torch.from_numpy(target)

    def collate(items: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[PairBatch, torch.Tensor]:
        xs, ys = zip(*items, strict=True)
        idx = torch.randint(len(target_t), (len(xs),), generator=gen)
        return PairBatch(torch.stack(xs), target_t[idx]), torch.stack(ys)

    data = TensorDataset(torch.from_numpy(source), torch.from_numpy(labels))
    return DataLoader(
        data,
        batch_size=batch,
        shuffle=True,
        collate_fn=collate,
        drop_last=len(source) > batch,
        generator=torch.Generator().manual_seed(seed),
    )


class AdaptationMethod(Strategy[AdaptConfig]):
    """Base of the methods: the training loop with the method's loss as a penalty."""

    Config = AdaptConfig
    needs_target: ClassVar[bool] = True
    #: False for a method that trains on source batches alone (source-only, AdaBN).
    uses_target_batches: ClassVar[bool] = True
    #: True for a method that changes the backbone's state even in frozen mode (AdaBN).
    changes_frozen_backbone: ClassVar[bool] = False

    def __init__(self, config: AdaptConfig | None = None) -> None:
        super().__init__(config)
        # Frozen mode leaves the pretrained backbone as it is: evaluation, the domain-gap
        # measure and later predictions read the feature cache instead of re-running it,
        # and there is no forgetting to measure.
        self.keeps_backbone = self.config.mode == "frozen" and not self.changes_frozen_backbone

    def penalty(self, domain: Any, in_features: int) -> tuple[Any, list[nn.Parameter]]:
        """The method's loss ``penalty(model, inputs, logits)`` and extra trainable weights."""
        return None, []

    def diagnostics(self) -> list[str]:
        """Sentences for the run's notes about how the adaptation went."""
        return []

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg = self.config
        if ctx.target is None or not len(ctx.target):
            raise ConfigError(
                f"{self.name} adapts to an unlabelled target domain; pass --target DATA."
            )
        if cfg.mode == "frozen":
            history = self._fit_frozen(model, ctx, cfg)
        else:
            history, _ = self._fit_finetune(model, ctx, cfg)
        notes = [
            f"{self.name} ({cfg.mode} backbone), adaptation weight {cfg.weight}",
            *training_notes(model, history, cfg),
            *self.diagnostics(),
        ]
        details = {
            "mode": cfg.mode,
            "bottleneck": cfg.bottleneck,
            "target_examples": len(ctx.target),
        }
        return StrategyResult(history, notes, details)

    def prepare_source_features(
        self, model: Classifier, ctx: FitContext
    ) -> tuple[np.ndarray, np.ndarray]:
        """Features of the source training and validation splits (frozen mode)."""
        x_train = ctx.features(model.backbone, ctx.splits.train, "source train")
        x_val = ctx.features(model.backbone, ctx.validation, "source validation")
        return x_train, x_val

    def prepare_target_features(self, model: Classifier, ctx: FitContext) -> np.ndarray:
        return ctx.features(model.backbone, ctx.target_data, "target")

    def _penalty(self, domain: Any, in_features: int, steps: int) -> tuple[list[Any], Any]:
        """The method's penalty (as a list for the trainer) and its extra parameter group."""
        penalty, extra = (
            self.penalty(domain, in_features) if self.uses_target_batches else (None, [])
        )
        if penalty is None:
            return [], []
        penalty.total = steps
        cfg = self.config
        return [penalty], [
            {"params": extra, "lr": cfg.head_lr, "weight_decay": cfg.weight_decay}
        ] if extra else []

    def _fit_frozen(self, model: Classifier, ctx: FitContext, cfg: AdaptConfig) -> Any:
        model.freeze_backbone()
        x_train, x_val = self.prepare_source_features(model, ctx)
        x_target = self.prepare_target_features(model, ctx)
        model.head = BottleneckHead(model.backbone.num_features, cfg.bottleneck, model.classes)
        domain = FeatureDomainModel(model.head)
        steps = cfg.epochs * max(1, len(x_train) // cfg.batch_size)
        penalties, extra = self._penalty(domain, cfg.bottleneck, steps)
        train = (
            feature_pairs(x_train, ctx.y_train, x_target, cfg.batch_size, ctx.seed)
            if self.uses_target_batches
            else DataLoader(
                TensorDataset(torch.from_numpy(x_train), torch.from_numpy(ctx.y_train)),
                batch_size=cfg.batch_size,
                shuffle=True,
                generator=torch.Generator().manual_seed(ctx.seed),
            )
        )
        val = DataLoader(
            TensorDataset(torch.from_numpy(x_val), torch.from_numpy(ctx.validation_labels)),
            batch_size=256,
        )
        groups = param_group(model.head.parameters(), cfg.head_lr, cfg.weight_decay, "head")
        settings = TrainSettings(cfg.epochs, cfg.patience, cfg.warmup, cfg.max_grad_norm)
        trainer = Trainer(settings, ctx.accelerator, ctx.progress, penalties)
        return trainer.fit(domain, groups + extra, train, val)

    def _fit_finetune(
        self, model: Classifier, ctx: FitContext, cfg: AdaptConfig
    ) -> tuple[Any, float]:
        model.head = BottleneckHead(model.backbone.num_features, cfg.bottleneck, model.classes)
        model.head.to(next(model.backbone.parameters()).device)
        domain = DomainModel(model)
        train = None
        if self.uses_target_batches:
            train = paired_loader(
                model.backbone,
                ctx.splits.train.inputs,
                ctx.y_train,
                ctx.target_data.inputs,
                batch_size=cfg.batch_size,
                augment=cfg.augment,
                seed=ctx.seed,
            )
        steps = cfg.epochs * (len(train) if train is not None else 1)
        penalties, extra = self._penalty(domain, model.backbone.num_features, steps)
        return run_training(
            model, ctx, cfg, module=domain, train=train, penalties=penalties, extra_groups=extra
        )


class MethodPenalty(nn.Module):
    """Calls ``loss(domain, progress)`` every step on paired batches; ``step``/``total``
    give training progress (DANN's schedule reads it)."""

    def __init__(self, domain: Any, loss: Any, weight: float) -> None:
        super().__init__()
        self.domain, self.loss, self.weight = [domain], loss, weight
        self.step, self.total = 0, 1

    def forward(self, model: nn.Module, inputs: Any, logits: torch.Tensor) -> torch.Tensor:
        if not isinstance(inputs, PairBatch):
            return logits.new_zeros(())
        self.step += 1
        return self.weight * self.loss(self.domain[0], min(1.0, self.step / self.total))


def check_features(source: Tensor, target: Tensor, min_rows: int = 1) -> None:
    if source.dim() != 2 or target.dim() != 2:
        raise ValueError(
            f"source and target features must be 2-d (batch, dim), got shapes "
            f"{tuple(source.shape)} and {tuple(target.shape)}"
        )
    if source.shape[1] != target.shape[1]:
        raise ValueError(
            f"source and target features must have the same dimension, got "
            f"{source.shape[1]} and {target.shape[1]}"
        )
    if source.shape[0] < min_rows or target.shape[0] < min_rows:
        raise ValueError(
            f"each batch needs at least {min_rows} rows, got {source.shape[0]} source and "
            f"{target.shape[0]} target rows"
        )
