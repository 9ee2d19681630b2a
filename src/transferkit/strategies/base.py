"""What a strategy is, and what it is given to work with.

A strategy decides *which* weights train, *how fast*, and *on what inputs* (cached
features, raw inputs); the training loop, data, cache and artifacts are shared. A new
strategy is one module in this package (or in ``strategies/adaptation/`` for a
domain-adaptation method, or a third-party module named by a ``transferkit.plugins`` entry
point): a ``StrategyConfig`` dataclass and a ``Strategy[ThatConfig]`` subclass decorated
with ``@register_strategy("name")``. Nothing else names it.

What the rest of the package needs to know about a strategy, it asks the strategy (class
attributes and methods below), never its name or its options: whether the backbone stays
pretrained, whether it needs a target domain or a validation split, how a saved model's
architecture is rebuilt. The head a strategy builds describes itself (``models.heads``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from transferkit.backbones.base import Backbone
from transferkit.config import Config
from transferkit.data.batches import make_loader
from transferkit.data.dataset import Dataset, Splits
from transferkit.errors import ConfigError, IncompatibleError
from transferkit.features.cache import FeatureCache
from transferkit.features.extract import EmbedStats, embed
from transferkit.models.classifier import Classifier
from transferkit.models.record import ModelRecord
from transferkit.progress import SILENT, Progress
from transferkit.registry import Registry
from transferkit.training.estimate import StepTimes
from transferkit.training.loop import History, make_accelerator


@dataclass
class StrategyConfig(Config):
    describe = "strategy option"


C = TypeVar("C", bound=StrategyConfig)


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
    #: the training split's features as last computed, by backbone fingerprint: a check
    #: after training on a frozen backbone reuses them (without a cache they would be
    #: computed again: a second pass over every training example)
    _train_features: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.classes = self.splits.classes
        self.y_train = self.splits.train.encode(self.classes)
        val = self.splits.val
        self.y_val = val.encode(self.classes) if val is not None else None

    @property
    def validation(self) -> Dataset:
        """The validation split, for strategies that select on it (``needs_validation``)."""
        if self.splits.val is None:
            raise IncompatibleError(
                "This strategy selects its model on a validation split and none was given or "
                "carved; give one, or drop --val-split none."
            )
        return self.splits.val

    @property
    def validation_labels(self) -> np.ndarray:
        self.validation  # noqa: B018 - raises the sentence that says what is missing
        assert self.y_val is not None
        return self.y_val

    @property
    def target_data(self) -> Dataset:
        """The unlabelled target domain, for domain-adaptation methods (``needs_target``)."""
        if self.target is None:
            raise ConfigError("This method adapts to a target domain; pass --target DATA.")
        return self.target

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
        if ds is self.splits.train:
            self._train_features = {backbone.fingerprint(): feats}
        return feats

    def train_features(self, backbone: Backbone) -> np.ndarray | None:
        """The training split's features under ``backbone``'s current weights, if a
        strategy computed them through ``features``."""
        return self._train_features.get(backbone.fingerprint())

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


class Strategy(ABC, Generic[C]):
    """Adapts a ``Classifier`` (pretrained backbone, new head) to the training split."""

    name: ClassVar[str]
    summary: ClassVar[str]
    Config: ClassVar[type[Any]]  # the StrategyConfig subclass ``C``
    #: True when the backbone's weights stay exactly pretrained, so features of the
    #: pretrained backbone (and the feature cache) serve for prediction too. A strategy
    #: whose config decides it sets it per instance.
    keeps_backbone: bool = False
    #: True for domain-adaptation methods, which need unlabelled target data.
    needs_target: ClassVar[bool] = False
    #: False for the from-scratch baseline: the backbone starts from random weights.
    uses_pretrained_weights: ClassVar[bool] = True
    #: True for a strategy whose ``resolve`` needs the pretrained backbone (``auto``
    #: times a few training steps on it).
    resolves_with_backbone: ClassVar[bool] = False

    def __init__(self, config: C | None = None) -> None:
        self.config: C = config if config is not None else self.Config()

    def resolve(
        self, splits: Splits, backbone: Backbone | None = None
    ) -> tuple[Strategy[Any], str | None]:
        """The strategy that will actually run on these splits, and why (a strategy that
        chooses another, like ``auto``, says what it picked and on what grounds).
        ``backbone`` is given when ``resolves_with_backbone``."""
        return self, None

    def estimated_seconds(self, times: StepTimes, splits: Splits) -> float | None:
        """Roughly how long ``fit`` and the test predictions take here, from per-example
        times measured on this machine (``training.estimate``); ``None`` if unknown. By
        default: ``epochs`` epochs over train, each with a validation pass."""
        epochs = getattr(self.config, "epochs", None)
        if epochs is None:
            return None
        n_val = len(splits.val) if splits.val is not None else 0
        n_test = len(splits.test) if splits.test is not None else 0
        return times.training(epochs, len(splits.train), n_val) + n_test * times.forward

    def needs_validation(self) -> bool:
        """Whether model selection uses a validation split; when not (selection by
        cross-validation on train), none is carved from train, and ``fit`` must return the
        out-of-fold predictions (``StrategyResult.oof_proba``) that measure the model."""
        return True

    def check(self, backbone: Backbone, splits: Splits) -> None:
        """Raise ``IncompatibleError`` (one sentence) if the strategy cannot run here."""

    @abstractmethod
    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        """Train ``model`` in place on ``ctx.splits.train``, selecting on ``ctx.splits.val``."""

    @classmethod
    def rebuild(cls, model: Classifier, record: ModelRecord) -> None:
        """Change a freshly built classifier to what this strategy trained beyond its head
        (e.g. insert adapters) before a saved model's weights are loaded into it."""
        return None


STRATEGIES: Registry[type[Strategy[Any]]] = Registry(
    "strategy",
    list_command="transferkit strategies",
    packages=["transferkit.strategies", "transferkit.strategies.adaptation"],
)

S = TypeVar("S", bound=type[Strategy[Any]])


def register_strategy(name: str) -> Callable[[S], S]:
    def decorate(cls: S) -> S:
        cls.name = name
        describe = f"option of strategy {name!r}"
        if cls.Config.describe != describe:
            cls.Config.describe = describe
        return STRATEGIES.register(name)(cls)

    return decorate


def create_strategy(name: str, options: dict[str, Any] | None = None) -> Strategy[Any]:
    cls = STRATEGIES.get(name)
    return cls(cls.Config.from_dict(options or {}))


def list_strategies() -> list[str]:
    return STRATEGIES.names()
