"""Domain-adaptation methods, registered as strategies that also read unlabelled target
data: ``source-only`` (the baseline), ``adabn``, ``coral``, ``dann`` and ``mcc``.

Each trains on labelled source data plus unlabelled target data. Target labels are never
read here: model selection uses the source validation split. Two modes:

* ``mode=frozen`` (default; fast on a CPU): the backbone stays frozen, its features are
  cached once, and a bottleneck layer plus the head train with the method's loss on the
  bottleneck features — adaptation of the representation the classifier sees, at the cost
  of a few seconds per run;
* ``mode=finetune``: the backbone trains too, source and target batches going through it
  together, as in the methods' papers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from transferkit.adaptation.losses import (
    DANNLoss,
    DomainDiscriminator,
    coral_loss,
    dann_coefficient,
    mcc_loss,
)
from transferkit.adaptation.norm_stats import recompute_batchnorm_statistics
from transferkit.adaptation.pairs import DomainModel, PairBatch, paired_loader
from transferkit.backbones.base import Backbone
from transferkit.config import option
from transferkit.data.batches import make_loader
from transferkit.data.dataset import Splits
from transferkit.errors import ConfigError, IncompatibleError
from transferkit.features.extract import infer_batch_size
from transferkit.models.classifier import Classifier
from transferkit.strategies.base import FitContext, Strategy, StrategyResult, register_strategy
from transferkit.strategies.finetune import FinetuneConfig, run_training, training_notes
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


def bottleneck_head(in_features: int, width: int, classes: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_features, width),
        nn.BatchNorm1d(width),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(width, classes),
    )


class FeatureClassifier(nn.Module):
    """Frozen mode: bottleneck + head on cached features; ``features`` are the bottleneck's."""

    def __init__(self, head: nn.Sequential) -> None:
        super().__init__()
        self.head = head

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.head[:-1](x)
        return z, self.head[-1](z)


class FeatureDomainModel(nn.Module):
    def __init__(self, net: FeatureClassifier) -> None:
        super().__init__()
        self.net = net
        self.source_features = self.target_features = None
        self.source_logits = self.target_logits = None

    def forward(self, batch: Any) -> torch.Tensor:
        if not isinstance(batch, PairBatch):
            return self.net.split(batch)[1]
        n = batch.source.shape[0]
        z, logits = self.net.split(torch.cat([batch.source, batch.target]))
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


class AdaptationMethod(Strategy):
    """Base of the methods: the training loop with the method's loss as a penalty."""

    Config = AdaptConfig
    needs_target: ClassVar[bool] = True
    uses_target_batches: ClassVar[bool] = True
    #: True for a method that changes the backbone's state even in frozen mode (AdaBN).
    changes_frozen_backbone: ClassVar[bool] = False

    def __init__(self, config: AdaptConfig | None = None) -> None:
        super().__init__(config)
        # Frozen mode leaves the pretrained backbone as it is: evaluation, the domain-gap
        # measure and later predictions read the feature cache instead of re-running it,
        # and there is no forgetting to measure.
        self.keeps_backbone = (
            self.config.mode == "frozen"  # type: ignore[attr-defined]
            and not self.changes_frozen_backbone
        )

    def needs_validation(self) -> bool:
        return True

    def penalty(self, domain: Any, in_features: int) -> tuple[Any, list[nn.Parameter]]:
        """The method's loss ``penalty(model, inputs, logits)`` and extra trainable weights."""
        return None, []

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg: AdaptConfig = self.config  # type: ignore[assignment]
        if ctx.target is None or not len(ctx.target):
            raise ConfigError(
                f"{self.name} adapts to an unlabelled target domain; pass --target DATA."
            )
        if cfg.mode == "frozen":
            history, _ = self._fit_frozen(model, ctx, cfg)
        else:
            history, _ = self._fit_finetune(model, ctx, cfg)
        notes = [
            f"{self.name} ({cfg.mode} backbone), adaptation weight {cfg.weight}",
            *training_notes(model, history, cfg),
        ]
        return StrategyResult(
            history,
            notes,
            {"mode": cfg.mode, "bottleneck": cfg.bottleneck, "target_examples": len(ctx.target)},
        )

    def prepare_source_features(
        self, model: Classifier, ctx: FitContext
    ) -> tuple[np.ndarray, np.ndarray]:
        """Features of the source training and validation splits (frozen mode)."""
        x_train = ctx.features(model.backbone, ctx.splits.train, "source train")
        x_val = ctx.features(model.backbone, ctx.splits.val, "source validation")  # type: ignore[arg-type]
        return x_train, x_val

    def prepare_target_features(self, model: Classifier, ctx: FitContext) -> np.ndarray:
        return ctx.features(model.backbone, ctx.target, "target")  # type: ignore[arg-type]

    def _fit_frozen(
        self, model: Classifier, ctx: FitContext, cfg: AdaptConfig
    ) -> tuple[Any, float]:
        model.freeze_backbone()
        x_train, x_val = self.prepare_source_features(model, ctx)
        x_target = self.prepare_target_features(model, ctx)
        model.head = bottleneck_head(model.backbone.num_features, cfg.bottleneck, model.num_classes)
        net = FeatureClassifier(model.head)
        domain = FeatureDomainModel(net)
        penalty, extra = (
            self.penalty(domain, cfg.bottleneck) if self.uses_target_batches else (None, [])
        )
        if penalty is not None:
            penalty.total = cfg.epochs * max(1, len(x_train) // cfg.batch_size)
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
            TensorDataset(torch.from_numpy(x_val), torch.from_numpy(ctx.y_val)), batch_size=256
        )
        groups = [
            *param_group(model.head.parameters(), cfg.head_lr, cfg.weight_decay, "head"),
            *(
                [{"params": extra, "lr": cfg.head_lr, "weight_decay": cfg.weight_decay}]
                if extra
                else []
            ),
        ]
        from transferkit.training.loop import Trainer, TrainSettings

        settings = TrainSettings(cfg.epochs, cfg.patience, cfg.warmup, cfg.max_grad_norm)
        trainer = Trainer(settings, ctx.accelerator, ctx.progress, [penalty] if penalty else [])
        return trainer.fit(domain, groups, train, val), 0.0

    def _fit_finetune(
        self, model: Classifier, ctx: FitContext, cfg: AdaptConfig
    ) -> tuple[Any, float]:
        model.head = bottleneck_head(model.backbone.num_features, cfg.bottleneck, model.num_classes)
        model.head.to(next(model.backbone.parameters()).device)
        domain = DomainModel(model)
        penalty, extra = (
            self.penalty(domain, model.backbone.num_features)
            if self.uses_target_batches
            else (None, [])
        )
        train = None
        if self.uses_target_batches:
            train = paired_loader(
                model.backbone,
                ctx.splits.train.inputs,
                ctx.y_train,
                ctx.target.inputs,  # type: ignore[union-attr]
                batch_size=cfg.batch_size,
                augment=cfg.augment,
                seed=ctx.seed,
            )
            if penalty is not None:
                penalty.total = cfg.epochs * len(train)
        groups = (
            [{"params": extra, "lr": cfg.head_lr, "weight_decay": cfg.weight_decay}]
            if extra
            else []
        )
        return run_training(
            model,
            ctx,
            cfg,
            module=domain,
            train=train,
            penalties=[penalty] if penalty else [],
            extra_groups=groups,
        )

    @classmethod
    def rebuild(cls, model: Classifier, record: dict[str, Any]) -> None:
        width = int(record["strategy"]["details"]["bottleneck"])
        model.head = bottleneck_head(model.backbone.num_features, width, model.num_classes)


class _Penalty(nn.Module):
    """Calls ``loss(domain)`` every step; ``step``/``total`` give training progress."""

    def __init__(self, domain: Any, loss: Any, weight: float) -> None:
        super().__init__()
        self.domain, self.loss, self.weight = [domain], loss, weight
        self.step, self.total = 0, 1

    def forward(self, model: nn.Module, inputs: Any, logits: torch.Tensor) -> torch.Tensor:
        if not isinstance(inputs, PairBatch):
            return logits.new_zeros(())
        self.step += 1
        return self.weight * self.loss(self.domain[0], min(1.0, self.step / self.total))


@register_strategy("source-only")
class SourceOnly(AdaptationMethod):
    summary = "domain adaptation baseline: train on the labelled source, ignore the target"
    uses_target_batches = False


@register_strategy("adabn")
class AdaBN(AdaptationMethod):
    summary = "adaptation: batch-norm statistics recomputed on target data (Li et al., 2017)"
    uses_target_batches = False
    changes_frozen_backbone = True

    def check(self, backbone: Backbone, splits: Splits) -> None:
        if not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in backbone.modules()):
            raise IncompatibleError(
                f"AdaBN needs batch-norm layers, and {backbone.source} has none; choose another "
                "method such as coral or dann."
            )

    def prepare_source_features(
        self, model: Classifier, ctx: FitContext
    ) -> tuple[np.ndarray, np.ndarray]:
        """The head learns from source features normalised with the source's own
        statistics, as the target's will be with the target's (Li et al.): with the
        pretrained (ImageNet) statistics on the source side instead, the two sides were
        normalised differently and the head met features it had never seen (MNIST ->
        USPS: 0.174 target accuracy against 0.764 without adaptation)."""
        _use_statistics_of(model, ctx.splits.train.inputs)
        return super().prepare_source_features(model, ctx)

    def prepare_target_features(self, model: Classifier, ctx: FitContext) -> np.ndarray:
        """The backbone takes the target's normalisation statistics from here on: the saved
        model is meant for the target domain."""
        _use_statistics_of(model, ctx.target.inputs)  # type: ignore[union-attr]
        return ctx.features(model.backbone, ctx.target, "target")  # type: ignore[arg-type]

    def _fit_finetune(
        self, model: Classifier, ctx: FitContext, cfg: AdaptConfig
    ) -> tuple[Any, float]:
        result = super()._fit_finetune(model, ctx, cfg)
        self.prepare_target_features(model, ctx)
        return result


def _use_statistics_of(model: Classifier, inputs: list[Any]) -> None:
    """Recompute the backbone's batch-norm statistics on ``inputs``."""
    loader = make_loader(
        model.backbone, inputs, None, batch_size=max(16, infer_batch_size(model.backbone))
    )
    recompute_batchnorm_statistics(
        model.backbone, loader, forward=lambda b: model.backbone.forward_features(b[0])
    )


@register_strategy("coral")
class Coral(AdaptationMethod):
    summary = "adaptation: align the covariances of source and target logits (Deep CORAL)"

    def penalty(self, domain: Any, in_features: int) -> tuple[Any, list[nn.Parameter]]:
        # On the last layer's outputs, as in the paper. Frozen mode on PACS, MobileNetV2:
        # +11 points on photo -> art, +12.5 on cartoon; on sketch (domains perfectly
        # separable) it, like the bottleneck-feature version, puts every sketch in one class.
        loss = lambda d, p: coral_loss(d.source_logits, d.target_logits)  # noqa: E731
        return _Penalty(domain, loss, self.config.weight), []  # type: ignore[attr-defined]


@register_strategy("dann")
class Dann(AdaptationMethod):
    summary = "adaptation: domain-adversarial training with gradient reversal (DANN)"

    def penalty(self, domain: Any, in_features: int) -> tuple[Any, list[nn.Parameter]]:
        dann = DANNLoss(DomainDiscriminator(in_features, hidden_features=256))
        loss = lambda d, p: dann(d.source_features, d.target_features, dann_coefficient(p))  # noqa: E731
        penalty = _Penalty(domain, loss, self.config.weight)  # type: ignore[attr-defined]
        penalty.dann = dann
        return penalty, list(dann.parameters())


@register_strategy("mcc")
class Mcc(AdaptationMethod):
    summary = "adaptation: minimum class confusion on target predictions (MCC)"

    def penalty(self, domain: Any, in_features: int) -> tuple[Any, list[nn.Parameter]]:
        loss = lambda d, p: mcc_loss(d.target_logits)  # noqa: E731
        return _Penalty(domain, loss, self.config.weight), []  # type: ignore[attr-defined]
