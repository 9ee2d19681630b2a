"""``fit``: adapt a pretrained backbone to a labelled data set, in four stages.

``prepare`` (data, splits, backbone, the strategy that will run) -> ``train`` (the
strategy) -> ``assess`` (metrics, calibration, familiarity, forgetting: ``assess.py``) ->
``save`` (the model directory). ``compare`` reuses the first two and measures only what it
shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.data import Splits
from transferkit.data.memory import given_data
from transferkit.evaluation import FitMetrics, SplitPredictions, predictions_csv
from transferkit.features import FeatureCache
from transferkit.models import TransferModel, save_model
from transferkit.models.artifact import write_json
from transferkit.models.record import ModelRecord, StrategyRecord
from transferkit.progress import SILENT, Progress
from transferkit.runtime import is_main_process
from transferkit.strategies import StrategyResult
from transferkit.workflows.assess import assess
from transferkit.workflows.common import accepts_xy, claims_output, feature_cache, output_path
from transferkit.workflows.prepare import Prepared, prepare


@dataclass
class FitResult:
    """A trained model, what it measured, and where it was saved."""

    model: TransferModel
    metrics: FitMetrics
    splits: Splits
    predictions: list[SplitPredictions]
    out: Path | None = None
    features: dict[str, np.ndarray] = field(default_factory=dict)  # held-out, for reports

    @property
    def held_out(self) -> str:
        """The split whose accuracy is the honest estimate (test, else val, else cv)."""
        return self.metrics.held_out

    @property
    def accuracy(self) -> float:
        return self.metrics.main.accuracy

    @property
    def notes(self) -> list[str]:
        return self.metrics.strategy.notes


@accepts_xy()
@claims_output
def fit(
    data: Any,
    model: str | None = None,
    strategy: str = "linear-probe",
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    seed: int = 0,
    weights: str | Path | None = None,
    cache: bool | FeatureCache = True,
    engine: str = "auto",
    progress: Progress = SILENT,
    target: str | Path | None = None,
    **options: Any,
) -> FitResult:
    """Adapt a pretrained backbone to a labelled data set and (optionally) save it.

    Args:
        data: a folder of class sub-folders (optionally split into train/val/test), or a
            CSV/TSV/JSONL file (or a folder of train/dev/test tables) of texts; or data in
            memory, ``fit(X, y, model=...)``: texts, image paths, PIL images, a uint8 image
            array, a 2-D array of feature vectors or a DataFrame (``data.memory``), with
            ``X_val``/``y_val`` and ``X_test``/``y_test`` as options.
        model: a backbone name (``transferkit.list_backbones()``) or ``source:name``;
            by default ``mobilenet_v2`` for images and ``all-MiniLM-L6-v2`` for text.
        strategy: how to adapt it (``transferkit.list_strategies()``).
        out: model directory to write; an existing one is replaced only with ``overwrite``.
            Training then checkpoints every epoch, and the same call after a crash resumes
            from the last one (``resume=False`` starts over; see ``claims_output``).
        seed: fixes splits, sampling, initialisation and data order.
        weights: a local weights file to use instead of the backbone's default weights.
        cache: use the on-disk feature cache (or pass a ``FeatureCache``).
        engine: what computes frozen features: ``onnx``, ``torch`` or ``auto``.
        target: unlabelled data of a target domain, for domain-adaptation strategies
            (``transferkit.adapt`` wraps this); its labels, if any, are never read.
        **options: data options (``DataConfig``) and the strategy's options.
    """
    start = time.perf_counter()
    data = given_data(data, options)
    out_path = output_path(out, overwrite)
    shared = feature_cache(cache, engine)
    prepared = prepare(data, model, strategy, seed, weights, shared, progress, target, options)
    trained = train(prepared)
    assessment = assess(trained.model, prepared, trained.outcome, trained.seconds)
    assessment.metrics.cost.seconds = time.perf_counter() - start
    result = FitResult(
        trained.model,
        assessment.metrics,
        prepared.splits,
        assessment.predictions,
        features=assessment.held_features,
    )
    if out_path is not None and is_main_process():
        result.out = save(result, out_path, overwrite)
    return result


@dataclass
class Trained:
    model: TransferModel
    outcome: StrategyResult
    seconds: float


def train(prepared: Prepared) -> Trained:
    """Run the strategy; the trained network with the record of how it was made."""
    if prepared.choice:  # before training, so a user sees the choice and its estimate
        prepared.context.progress.note(prepared.choice)
    start = time.perf_counter()
    outcome = prepared.strategy.fit(prepared.classifier, prepared.context)
    seconds = time.perf_counter() - start
    if prepared.choice:
        outcome.notes.insert(0, prepared.choice)
    prepared.classifier.eval()
    model = TransferModel(prepared.classifier, model_record(prepared, outcome))
    model.cache = prepared.context.cache
    return Trained(model, outcome, seconds)


def model_record(prepared: Prepared, outcome: StrategyResult) -> ModelRecord:
    strategy, backbone = prepared.strategy, prepared.classifier.backbone
    return ModelRecord(
        classes=prepared.splits.classes,
        backbone=backbone.describe(),
        backbone_frozen=bool(strategy.keeps_backbone),
        channels_last=bool(backbone.channels_last),
        head=prepared.classifier.head.spec(),
        strategy=StrategyRecord(
            strategy.name, prepared.asked, strategy.config.to_dict(), outcome.details
        ),
        data={"config": prepared.data_config.to_dict(), "summary": prepared.splits.summary()},
        seed=prepared.seed,
        notes=outcome.notes,
    )


def save(result: FitResult, out: Path, overwrite: bool = False, report: Any = None) -> Path:
    """Write a fit's model directory: the model, metrics.json, predictions.csv and
    report.html/report.md (``report``, or the standard fit report)."""

    def extra(tmp: Path) -> None:
        write_json(tmp / "metrics.json", result.metrics.to_dict())
        (tmp / "predictions.csv").write_text(
            predictions_csv(result.predictions, result.model.classes_)
        )
        (report or fit_report_of(result)).write(tmp)

    return save_model(result.model, out, overwrite=overwrite, extra=extra)


def fit_report_of(result: FitResult) -> Any:
    from transferkit.reporting.fit_report import fit_report

    held = result.held_out
    ds = {"val": result.splits.val, "test": result.splits.test}.get(held)
    labels = list(ds.labels or []) if ds is not None else None
    return fit_report(result.metrics, result.model.record, held, result.features.get(held), labels)


__all__ = ["FitResult", "Prepared", "Trained", "fit", "prepare", "save", "train"]
