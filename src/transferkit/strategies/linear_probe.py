"""Feature extraction: the backbone stays frozen, a linear head learns on its features.

Each example is embedded once (and cached on disk), so a second run or another head costs
no backbone passes. The default head is logistic regression with its strength chosen by
cross-validation on the training split; ``head=linear`` trains a linear layer on the
cached features with early stopping on the validation split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from transferkit.config import option
from transferkit.data.dataset import Splits
from transferkit.errors import IncompatibleError
from transferkit.models.classifier import Classifier
from transferkit.strategies.base import (
    FitContext,
    Strategy,
    StrategyConfig,
    StrategyResult,
    register_strategy,
)
from transferkit.training.estimate import StepTimes
from transferkit.training.logistic import fit_logistic
from transferkit.training.loop import Trainer, TrainSettings
from transferkit.training.optim import param_group


@dataclass
class LinearProbeConfig(StrategyConfig):
    head: str = option(
        "logistic",
        "'logistic': logistic regression, C chosen by cross-validation on train; "
        "'linear': a linear layer trained with AdamW and early stopping on validation.",
        choices=("logistic", "linear"),
    )
    C: float | None = option(
        None,
        "Inverse L2 strength of the logistic head; chosen by cross-validation if unset.",
        min=0,
    )
    cv_folds: int = option(5, "Cross-validation folds for choosing C.", min=2, max=20)
    standardize: bool | None = option(
        None,
        "Standardise features before the logistic head; unset: yes, unless the backbone's "
        "features are already unit-normalised (sentence embeddings).",
    )
    epochs: int = option(100, "Linear head: maximum epochs over the cached features.", min=1)
    lr: float = option(1e-3, "Linear head: learning rate.", min=0)
    weight_decay: float = option(1e-2, "Linear head: AdamW weight decay.", min=0)
    patience: int = option(
        10, "Linear head: epochs without validation gain before stopping.", min=1
    )
    batch_size: int = option(32, "Linear head: batch size.", min=1)


def set_linear_head(model: Classifier, weight: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():
        model.head.weight.copy_(torch.from_numpy(weight))
        model.head.bias.copy_(torch.from_numpy(bias))


def fit_linear_probe(model: Classifier, ctx: FitContext, cfg: LinearProbeConfig) -> StrategyResult:
    """Train ``model.head`` on the frozen backbone's cached features (shared with lp-ft)."""
    model.freeze_backbone()
    x_train = ctx.features(model.backbone, ctx.splits.train, "train")
    if cfg.head == "logistic":
        fit = fit_logistic(
            x_train,
            ctx.y_train,
            model.num_classes,
            C=cfg.C,
            folds=cfg.cv_folds,
            seed=ctx.seed,
            standardize=cfg.standardize,
        )
        set_linear_head(model, fit.weight, fit.bias)
        return StrategyResult(
            notes=[fit.note()],
            details={"C": fit.C, "cv_folds": fit.folds, "standardized": fit.standardized},
            oof_proba=fit.oof_proba,
        )
    if ctx.splits.val is None or ctx.y_val is None:
        raise IncompatibleError(
            "The linear head needs a validation split; give one or use head=logistic."
        )
    x_val = ctx.features(model.backbone, ctx.splits.val, "validation")

    def loader(x: np.ndarray, y: np.ndarray, shuffle: bool) -> DataLoader:
        data = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        return DataLoader(
            data,
            batch_size=cfg.batch_size,
            shuffle=shuffle,
            generator=torch.Generator().manual_seed(ctx.seed),
        )

    trainer = Trainer(
        TrainSettings(cfg.epochs, cfg.patience, warmup_fraction=0.0), ctx.accelerator, ctx.progress
    )
    history = trainer.fit(
        model.head,
        param_group(model.head.parameters(), cfg.lr, cfg.weight_decay, "head"),
        loader(x_train, ctx.y_train, True),
        loader(x_val, ctx.y_val, False),
    )
    return StrategyResult(history, [f"linear head: best epoch {history.best_epoch}"])


@register_strategy("linear-probe")
class LinearProbe(Strategy[LinearProbeConfig]):
    summary = "frozen backbone, cached features, new linear head (feature extraction)"
    Config = LinearProbeConfig
    keeps_backbone = True

    def needs_validation(self) -> bool:
        return self.config.head != "logistic"

    def estimated_seconds(self, times: StepTimes, splits: Splits) -> float | None:
        return embedding_seconds(times, splits)

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        return fit_linear_probe(model, ctx, self.config)


def embedding_seconds(times: StepTimes, splits: Splits) -> float:
    """Every example through the frozen backbone once (an upper bound: cached features
    cost nothing), plus a few seconds for the head search."""
    n = sum(len(ds) for ds in (splits.train, splits.val, splits.test) if ds is not None)
    return n * times.forward + 5.0
