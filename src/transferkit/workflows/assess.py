"""The ``assess`` stage of ``fit``: what a trained model is worth, measured on data that no
model selection touched, each measure a function of the trained model and the splits.

Only validation data (or cross-validation on train) is used to fit anything here (the
temperature, the familiarity threshold); the test split is only measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from transferkit.backbones import create_backbone
from transferkit.data.dataset import Dataset, Splits
from transferkit.errors import IncompatibleError
from transferkit.evaluation.calibration import (
    expected_calibration_error,
    fit_temperature,
    reliability_table,
)
from transferkit.evaluation.forgetting import measure_forgetting
from transferkit.evaluation.metrics import classification_metrics, softmax
from transferkit.evaluation.overfitting import overfitting_warning
from transferkit.evaluation.predictions import SplitPredictions
from transferkit.evaluation.results import (
    CalibrationResult,
    Cost,
    FamiliarityResult,
    FitMetrics,
    Forgetting,
    SplitCalibration,
    SplitMetrics,
    StrategyOutcome,
)
from transferkit.models.familiarity import Familiarity
from transferkit.models.model import Outputs, TransferModel
from transferkit.models.record import CalibrationRecord
from transferkit.runtime import num_processes
from transferkit.strategies import StrategyResult
from transferkit.workflows.common import placed
from transferkit.workflows.prepare import Prepared


@dataclass
class Assessment:
    metrics: FitMetrics
    predictions: list[SplitPredictions]
    held_features: dict[str, np.ndarray] = field(default_factory=dict)


def held_out(splits: Splits) -> list[tuple[str, Dataset]]:
    """The labelled splits no training saw, validation first."""
    return [(n, d) for n, d in (("val", splits.val), ("test", splits.test)) if d is not None]


def assess(
    model: TransferModel, prepared: Prepared, outcome: StrategyResult, train_seconds: float
) -> Assessment:
    """Calibrate, predict the held-out splits, fit the familiarity check, look for
    overfitting and forgetting, and gather it all in ``FitMetrics``."""
    splits, progress = prepared.splits, prepared.context.progress
    held = held_out(splits)
    if not held and outcome.oof_proba is None:
        raise IncompatibleError(
            f"{prepared.strategy.name} used no validation split and gave no cross-validated "
            "predictions, so nothing measures the model; give a validation or test split."
        )
    outputs = {name: model.outputs(ds, progress) for name, ds in held}
    calibration = calibrate(model, outputs, held, outcome.oof_proba, prepared.context.y_train)
    predictions = [predict(model, outputs[name], ds, name) for name, ds in held]
    familiarity = check_familiarity(model, splits.train, outputs, progress)
    features = {name: out.features for name, out in outputs.items()}
    history = outcome.history
    metrics = FitMetrics(
        splits={p.split: p.metrics for p in predictions},
        strategy=StrategyOutcome(
            model.record.strategy.name, prepared.asked, outcome.notes, outcome.details
        ),
        cost=cost(model, prepared, train_seconds),
        history=history,
        tasks=task_metrics(model, outputs, held),
        calibration=calibration,
        familiarity=familiarity,
        overfitting=overfitting_warning(
            history.to_dict() if history else None,
            batchnorm_trained=model.classifier.batchnorm_trained,
        ),
        forgetting=forgetting(model, prepared, held, features),
    )
    if outcome.oof_proba is not None:
        y = prepared.context.y_train
        metrics.splits["cv"] = classification_metrics(y, outcome.oof_proba, model.classes_)
    return Assessment(metrics, predictions, features)


def task_labels(model: TransferModel, ds: Dataset, task: str) -> np.ndarray:
    main = next(iter(model.tasks_))
    return ds.encode(model.tasks_[task], None if task == main else task)


def calibrate(
    model: TransferModel,
    outputs: dict[str, Outputs],
    held: list[tuple[str, Dataset]],
    oof_proba: np.ndarray | None,
    y_train: np.ndarray,
) -> CalibrationResult:
    """A temperature per task, fitted on the validation logits (else, for the main task,
    on the cross-validated probabilities on train); stored in the model's record. ECE and
    reliability of the main task on every held-out split, before and after."""
    temperatures, fitted_on = {}, "nothing (no validation data)"
    val = dict(held).get("val")
    for i, (task, _) in enumerate(model.tasks_.items()):
        if val is not None:
            logits = model.task_logits(outputs["val"].logits, task)
            temperatures[task] = float(fit_temperature(logits, task_labels(model, val, task)))
            fitted_on = "validation split"
        elif oof_proba is not None and i == 0:
            logits = np.log(np.clip(oof_proba, 1e-12, 1.0))
            temperatures[task] = float(fit_temperature(logits, y_train))
            fitted_on = "cross-validated predictions on train"
        else:
            temperatures[task] = 1.0
    model.record.calibration = CalibrationRecord(temperatures, fitted_on)
    result = CalibrationResult(temperatures, fitted_on)
    for name, ds in held:
        logits, y = outputs[name].logits, ds.encode(model.classes_)
        before = softmax(model.task_logits(logits))
        after = softmax(model.calibrated_logits(logits))
        result.splits[name] = SplitCalibration(
            expected_calibration_error(before, y),
            expected_calibration_error(after, y),
            _jsonable(reliability_table(before, y)),
            _jsonable(reliability_table(after, y)),
        )
    return result


def predict(model: TransferModel, outputs: Outputs, ds: Dataset, split: str) -> SplitPredictions:
    y = ds.encode(model.classes_)
    proba = model.predictions(outputs).proba
    return SplitPredictions(
        split, list(ds.origins), y, proba, classification_metrics(y, proba, model.classes_)
    )


def check_familiarity(
    model: TransferModel, train: Dataset, outputs: dict[str, Outputs], progress: Any
) -> FamiliarityResult:
    """The unfamiliar-input check, fitted on the training features with the validation
    split as the in-distribution reference; stored with the model."""
    reference = outputs["val"].features if "val" in outputs else None
    familiarity = Familiarity.fit(model.embed(train, progress), reference)
    model.familiarity = familiarity
    model.record.familiarity = familiarity.describe()
    rates = {name: float(np.mean(familiarity.flags(o.features))) for name, o in outputs.items()}
    return FamiliarityResult(familiarity.describe(), rates)


def task_metrics(
    model: TransferModel, outputs: dict[str, Outputs], held: list[tuple[str, Dataset]]
) -> dict[str, dict[str, SplitMetrics]] | None:
    """Per-task metrics on each held-out split, for a model with several tasks."""
    if len(model.tasks_) < 2:
        return None
    out: dict[str, dict[str, SplitMetrics]] = {t: {} for t in model.tasks_}
    for split, ds in held:
        for task, classes in model.tasks_.items():
            proba = model.predictions(outputs[split], task).proba
            out[task][split] = classification_metrics(task_labels(model, ds, task), proba, classes)
    return out


def forgetting(
    model: TransferModel,
    prepared: Prepared,
    held: list[tuple[str, Dataset]],
    features: dict[str, np.ndarray],
) -> Forgetting | None:
    """How much of the source skill survived, when the backbone started pretrained and
    training changed it; on the last held-out split (test, else validation)."""
    if not prepared.strategy.uses_pretrained_weights or prepared.strategy.keeps_backbone:
        return None
    name, ds = held[-1] if held else ("train", prepared.splits.train)
    original = placed(create_backbone(prepared.model_name, weights=prepared.weights))
    return measure_forgetting(
        original, model.backbone, ds.inputs, features.get(name), prepared.context.cache
    )


def cost(model: TransferModel, prepared: Prepared, train_seconds: float) -> Cost:
    classifier = model.classifier
    trainable = (
        sum(p.numel() for p in classifier.head.parameters())
        if model.record.backbone_frozen
        else classifier.trainable_parameters()
    )
    stats = prepared.context.embed_stats
    return Cost(
        trainable_parameters=trainable,
        total_parameters=classifier.total_parameters(),
        embedded=stats.computed,
        from_cache=stats.cached,
        processes=num_processes(),
        train_seconds=train_seconds,
    )


def _jsonable(table: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in table.items():
        if isinstance(v, np.ndarray):
            out[k] = [None if isinstance(x, float) and np.isnan(x) else x for x in v.tolist()]
        else:
            out[k] = None if isinstance(v, float) and np.isnan(v) else v
    return out
