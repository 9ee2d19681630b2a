"""What a fit measured, as typed records: the schema of ``metrics.json``.

``FitMetrics.to_dict`` writes ``metrics.json`` (docs/formats.md describes every field and
the schema's versions). The command line, the reports and the studies read these objects'
attributes, never string keys, so a field is renamed in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

METRICS_SCHEMA = "transferkit-metrics"
METRICS_VERSION = 2
SPLIT_NAMES = {"test": "test", "val": "validation", "cv": "cross-validation on train"}


@dataclass
class ClassMetrics:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Subset:
    """Accuracy on a part of a split."""

    n: int
    accuracy: float


@dataclass
class SplitMetrics:
    """Classification metrics of one set of predictions."""

    n: int
    accuracy: float
    macro_f1: float
    log_loss: float
    per_class: dict[str, ClassMetrics]
    confusion_matrix: list[list[int]]
    accuracy_interval: tuple[float, float] = (float("nan"), float("nan"))  # Wilson, 95%
    macro_f1_interval: tuple[float, float] = (float("nan"), float("nan"))  # bootstrap, 95%
    majority_class: str = ""  # the most frequent class of this split
    majority_accuracy: float = float("nan")  # what always predicting it scores here
    chance: float = float("nan")  # 1 / number of classes
    #: accuracy on the inputs the familiarity check flags and on those it does not
    by_familiarity: dict[str, Subset] | None = None

    @property
    def classes(self) -> list[str]:
        return list(self.per_class)

    @property
    def predicted_classes(self) -> list[str]:
        """The classes the model predicted at least once on this split."""
        columns = [sum(col) for col in zip(*self.confusion_matrix, strict=True)]
        return [c for c, k in zip(self.per_class, columns, strict=True) if k > 0]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SplitCalibration:
    """Expected calibration error and reliability tables of one split, before and after
    dividing the logits by the temperature."""

    ece_before: float
    ece_after: float
    reliability_before: dict[str, Any]
    reliability_after: dict[str, Any]


@dataclass
class CalibrationResult:
    temperatures: dict[str, float]
    fitted_on: str
    splits: dict[str, SplitCalibration] = field(default_factory=dict)  # main task only
    reasons: dict[str, str] = field(default_factory=dict)  # why each temperature, or T = 1
    fitted: dict[str, float | None] = field(default_factory=dict)  # the fit, kept or not

    @property
    def reason(self) -> str:
        """Why the main task's temperature was kept, or T = 1."""
        return next(iter(self.reasons.values()), "")

    @property
    def temperature(self) -> float:
        """The main task's temperature."""
        return next(iter(self.temperatures.values()), 1.0)


@dataclass
class FamiliarityResult:
    """The unfamiliar-input check stored with the model, and how often it fired."""

    described: dict[str, Any]  # Familiarity.describe(): method, k, threshold, quantile, ...
    flagged: dict[str, float]  # split -> share of its examples flagged


@dataclass
class Forgetting:
    """How much of the source skill survived adaptation (evaluation/forgetting.py)."""

    cka: float
    probe: str
    source_agreement: float | None = None
    paraphrase_auc_before: float | None = None
    paraphrase_auc_after: float | None = None
    #: audio with groups (speakers): equal error rate of verifying that two recordings
    #: share a speaker by the cosine of their features (lower is better)
    speaker_eer_before: float | None = None
    speaker_eer_after: float | None = None
    #: generative language models: perplexity on general text (lower is better), and
    #: the greedy answers to general prompts, as {"prompt", "before", "after"}
    perplexity_before: float | None = None
    perplexity_after: float | None = None
    answers: list[dict[str, str]] | None = None


@dataclass
class StrategyOutcome:
    name: str
    asked: str
    notes: list[str]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Cost:
    """What the fit cost: parameters it trained, backbone passes, time."""

    trainable_parameters: int
    total_parameters: int
    embedded: int  # examples that went through the backbone
    from_cache: int  # examples whose features came from the cache
    processes: int
    train_seconds: float
    seconds: float = 0.0


@dataclass
class DomainMap:
    """Source and target examples in the adapted representation, for the report's map."""

    points: np.ndarray
    labels: list[str | None]  # None for the (unlabelled) target
    groups: list[str]


@dataclass
class AdaptMetrics:
    """What domain adaptation measured beyond the source fit."""

    target: str
    target_metrics: SplitMetrics | None
    gap_before: float  # proxy A-distance between the domains, pretrained features
    gap_after: float  # the same in the representation the adapted classifier uses
    map: DomainMap | None = None
    #: source-only trained in the same run, on the same target examples: the baseline
    baseline_metrics: SplitMetrics | None = None
    #: adapted minus source-only target accuracy: (mean, low, high), paired bootstrap, 95%
    difference: tuple[float, float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        baseline = self.baseline_metrics
        return {
            "target": self.target,
            "target_metrics": self.target_metrics.to_dict() if self.target_metrics else None,
            "source_only_metrics": baseline.to_dict() if baseline else None,
            "difference": self.difference,
            "proxy_a_distance_before": self.gap_before,
            "proxy_a_distance_after": self.gap_after,
        }


@dataclass
class FitMetrics:
    """Everything a fit measured; ``metrics.json`` is ``to_dict()``."""

    splits: dict[str, SplitMetrics]  # "val", "test" and/or "cv", those that exist
    strategy: StrategyOutcome
    cost: Cost
    history: Any = None  # training.loop.History, when the strategy trained in epochs
    tasks: dict[str, dict[str, SplitMetrics]] | None = None  # per task, multi-task models
    calibration: CalibrationResult | None = None
    familiarity: FamiliarityResult | None = None
    overfitting: str | None = None
    forgetting: Forgetting | None = None
    adaptation: AdaptMetrics | None = None  # domain adaptation (``transferkit adapt``)
    #: a linear probe on the pretrained features of the same splits, for strategies that
    #: train the backbone: the baseline they must beat
    baseline: dict[str, SplitMetrics] | None = None
    warnings: list[str] = field(default_factory=list)  # one sentence each

    @property
    def held_out(self) -> str:
        """The split whose accuracy is the honest estimate: test if there is one, else
        validation, else the cross-validated estimate on train."""
        return next(k for k in ("test", "val", "cv") if k in self.splits)

    @property
    def main(self) -> SplitMetrics:
        return self.splits[self.held_out]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema": METRICS_SCHEMA, "schema_version": METRICS_VERSION}
        out.update({name: m.to_dict() for name, m in self.splits.items()})
        out["tasks"] = (
            {t: {s: m.to_dict() for s, m in per.items()} for t, per in self.tasks.items()}
            if self.tasks
            else None
        )
        out["history"] = self.history.to_dict() if self.history is not None else None
        for name in ("calibration", "familiarity", "forgetting", "strategy", "cost"):
            value = getattr(self, name)
            out[name] = asdict(value) if value is not None else None
        out["overfitting"] = self.overfitting
        out["warnings"] = self.warnings
        out["baseline"] = (
            {name: m.to_dict() for name, m in self.baseline.items()} if self.baseline else None
        )
        if self.adaptation is not None:
            out["adaptation"] = self.adaptation.to_dict()
        return out
