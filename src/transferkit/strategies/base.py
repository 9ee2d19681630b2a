"""What a strategy is, and what it is given to work with.

A strategy decides *which* weights train, *how fast*, and *on what inputs* (cached
features, raw inputs); the training loop, data, cache and artifacts are shared. A new
strategy is one module: a ``StrategyConfig`` dataclass and a ``Strategy`` subclass
decorated with ``@register_strategy("name")``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from transferkit.backbones.base import Backbone
from transferkit.config import Config
from transferkit.data.batches import make_loader
from transferkit.data.dataset import Dataset, Splits
from transferkit.features.cache import FeatureCache
from transferkit.features.extract import EmbedStats, embed
from transferkit.models.classifier import Classifier
from transferkit.progress import SILENT, Progress
from transferkit.registry import Registry
from transferkit.training.loop import History, make_accelerator


@dataclass
class StrategyConfig(Config):
    describe = "strategy option"


@dataclass
class FitContext:
    """Everything a strategy may use besides the model: the data (encoded labels), the
    feature cache, the seed, the accelerator and a progress reporter."""

    splits: Splits
    seed: int
    cache: FeatureCache | None = None
    progress: Progress = SILENT
    embed_stats: EmbedStats = field(default_factory=EmbedStats)
    _accelerator: Any = None
    #: unlabelled examples of the target domain, for domain-adaptation methods
    target: Dataset | None = None

    def __post_init__(self) -> None:
        self.classes = self.splits.classes
        self.y_train = self.splits.train.encode(self.classes)
        val = self.splits.val
        self.y_val = val.encode(self.classes) if val is not None else None

    @property
    def accelerator(self) -> Any:
        if self._accelerator is None:
            self._accelerator = make_accelerator(self.seed)
        return self._accelerator

    def features(self, backbone: Backbone, ds: Dataset, what: str) -> np.ndarray:
        """Cached features of a split under the backbone's current weights."""
        feats, stats = embed(
            backbone,
            ds.inputs,
            cache=self.cache,
            progress=self.progress,
            description=f"Embedding {what}",
        )
        self.embed_stats += stats
        return feats

    def loader(
        self,
        backbone: Backbone,
        ds: Dataset,
        labels: np.ndarray,
        *,
        batch_size: int,
        train: bool,
        augment: bool = False,
    ) -> Any:
        return make_loader(
            backbone,
            ds.inputs,
            labels,
            batch_size=batch_size,
            shuffle=train,
            augment=augment and train,
            seed=self.seed,
        )


@dataclass
class StrategyResult:
    """What a strategy reports: the training history, and notes for the summary (what was
    chosen and why)."""

    history: History | None = None
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    #: out-of-fold probabilities on train, when selection was by cross-validation
    oof_proba: np.ndarray | None = None


class Strategy(ABC):
    """Adapts a ``Classifier`` (pretrained backbone, new head) to the training split."""

    name: ClassVar[str]
    summary: ClassVar[str]
    Config: ClassVar[type[StrategyConfig]]
    #: True when the backbone's weights stay exactly pretrained, so features of the
    #: pretrained backbone (and the feature cache) serve for prediction too. A strategy
    #: whose config decides it sets it per instance.
    keeps_backbone: bool = False
    #: True for domain-adaptation methods, which need unlabelled target data.
    needs_target: ClassVar[bool] = False
    #: False for the from-scratch baseline: the backbone starts from random weights.
    uses_pretrained_weights: ClassVar[bool] = True

    def __init__(self, config: StrategyConfig | None = None) -> None:
        self.config = config if config is not None else self.Config()

    def resolve(self, splits: Splits) -> tuple[Strategy, str | None]:
        """The strategy that will actually run on these splits, and why (a strategy that
        chooses another, like ``auto``, says what it picked and on what grounds)."""
        return self, None

    def needs_validation(self) -> bool:
        """Whether model selection uses a validation split; when not (selection by
        cross-validation on train), none is carved from train."""
        return True

    def check(self, backbone: Backbone, splits: Splits) -> None:  # noqa: B027 - optional
        """Raise ``IncompatibleError`` (one sentence) if the strategy cannot run here."""

    @abstractmethod
    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        """Train ``model`` in place on ``ctx.splits.train``, selecting on ``ctx.splits.val``."""

    @classmethod
    def rebuild(cls, model: Classifier, record: dict[str, Any]) -> None:
        """Change a freshly built classifier's architecture to what this strategy trained
        (e.g. insert adapters) before a saved model's weights are loaded into it."""
        return None


STRATEGIES: Registry[type[Strategy]] = Registry("strategy", list_command="transferkit strategies")


def register_strategy(name: str) -> Callable[[type[Strategy]], type[Strategy]]:
    def decorate(cls: type[Strategy]) -> type[Strategy]:
        cls.name = name
        describe = f"option of strategy {name!r}"
        if cls.Config.describe != describe:
            cls.Config.describe = describe
        return STRATEGIES.register(name)(cls)

    return decorate


def create_strategy(name: str, options: dict[str, Any] | None = None) -> Strategy:
    cls = STRATEGIES.get(name)
    return cls(cls.Config.from_dict(options or {}))


def list_strategies() -> list[str]:
    return STRATEGIES.names()
