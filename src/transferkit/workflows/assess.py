"""The ``assess`` stage of ``fit``: what a trained model is worth, measured on data that no
model selection touched, each measure a function of the trained model and the splits.

Only validation data (or cross-validation on train) is used to fit anything here (the
temperature, the familiarity threshold); the test split is only measured.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from transferkit.backbones import Backbone, create_backbone
from transferkit.data.dataset import Dataset, Splits
from transferkit.data.load import group_overlap_warning, overlap_warning
from transferkit.errors import IncompatibleError, WeightsUnavailableError
from transferkit.evaluation.calibration import (
    TemperatureChoice,
    choose_temperature,
    expected_calibration_error,
    reliability_table,
)
from transferkit.evaluation.forgetting import measure_forgetting
from transferkit.evaluation.metrics import classification_metrics, softmax
from transferkit.evaluation.overfitting import overfitting_warning
from transferkit.evaluation.predictions import SplitPredictions
from transferkit.evaluation.results import (
    SPLIT_NAMES,
    CalibrationResult,
    Cost,
    FamiliarityResult,
    FitMetrics,
    Forgetting,
    SplitCalibration,
    SplitMetrics,
    StrategyOutcome,
)
from transferkit.evaluation.verdicts import baseline_comparison, validation_warning
from transferkit.models.familiarity import Familiarity
from transferkit.models.model import Outputs, TransferModel, by_familiarity
from transferkit.models.record import CalibrationRecord
from transferkit.runtime import num_processes
from transferkit.strategies import StrategyResult
from transferkit.training.logistic import fit_logistic
from transferkit.workflows.common import placed
from transferkit.workflows.prepare import Prepared

#: A fitted temperature this large says the logits carry (almost) nothing: dividing by it
#: makes every prediction near uniform.
UNINFORMATIVE_TEMPERATURE = 50.0


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
        counts = Counter(splits.train.labels or [])
        rare, n = min(counts.items(), key=lambda kv: kv[1]) if counts else ("?", 0)
        why = (
            f" (cross-validation needs 2 training examples of every class, and {rare!r} has "
            f"{n}: add examples of it or drop the class)"
            if n < 2
            else ""
        )
        raise IncompatibleError(
            f"{prepared.strategy.name} used no validation split and gave no cross-validated "
            f"predictions{why}, so nothing measures the model; give a validation or test split."
        )
    outputs = {name: model.outputs(ds, progress) for name, ds in held}
    y_train = prepared.context.y_train
    calibration = calibrate(model, outputs, held, outcome.oof_proba, y_train, prepared.seed)
    kept = prepared.context.train_features(model.backbone)
    familiarity = check_familiarity(model, splits.train, outputs, progress, kept)
    predictions = [predict(model, outputs[name], ds, name) for name, ds in held]
    features = {name: out.features for name, out in outputs.items()}
    original = original_backbone(prepared)
    metrics = FitMetrics(
        splits={p.split: p.metrics for p in predictions},
        strategy=StrategyOutcome(
            model.record.strategy.name, prepared.asked, outcome.notes, outcome.details
        ),
        cost=cost(model, prepared, train_seconds),
        history=outcome.history,
        tasks=task_metrics(model, outputs, held),
        calibration=calibration,
        familiarity=familiarity,
        forgetting=forgetting(model, prepared, held, features, original),
        baseline=probe_baseline(prepared, held, original),
    )
    if outcome.oof_proba is not None:
        metrics.splits["cv"] = classification_metrics(y_train, outcome.oof_proba, model.classes_)
    history = outcome.history.to_dict() if outcome.history is not None else None
    bn_trained = model.classifier.batchnorm_trained
    metrics.overfitting = overfitting_warning(history, batchnorm_trained=bn_trained)
    metrics.warnings = warnings(prepared, metrics)
    return Assessment(metrics, predictions, features)


def warnings(prepared: Prepared, metrics: FitMetrics) -> list[str]:
    """A small validation split, test examples that are training examples, a backbone
    trained for nothing, confidences that carry nothing: one sentence each."""
    found = [
        validation_warning(prepared.splits.summary()["val"], prepared.splits.val_origin),
        overlap_warning(prepared.splits),
        group_overlap_warning(prepared.splits),
    ]
    fitted = next(iter((metrics.calibration.fitted if metrics.calibration else {}).values()), None)
    if fitted is not None and fitted >= UNINFORMATIVE_TEMPERATURE:
        found.append(
            "On its calibration data the model's confidences are no better than uniform "
            "guessing (a temperature of 50 or more would fit them): do not trust its "
            "probabilities, nor, likely, its labels."
        )
    held = metrics.held_out
    if metrics.baseline and held in metrics.baseline:
        probe, own = metrics.baseline[held], metrics.splits[held]
        if own.accuracy < probe.accuracy:
            found.append(baseline_comparison(metrics.strategy.name, own, probe, SPLIT_NAMES[held]))
    return [w for w in found if w]


def task_labels(model: TransferModel, ds: Dataset, task: str) -> np.ndarray:
    main = next(iter(model.tasks_))
    return ds.encode(model.tasks_[task], None if task == main else task)


def calibrate(
    model: TransferModel,
    outputs: dict[str, Outputs],
    held: list[tuple[str, Dataset]],
    oof_proba: np.ndarray | None,
    y_train: np.ndarray,
    seed: int = 0,
) -> CalibrationResult:
    """A temperature per task, chosen on the validation logits (else, for the main task, on
    the cross-validated probabilities on train) and kept only when it lowers held-out
    log-loss in cross-fitting (``choose_temperature``); stored in the model's record. ECE
    and reliability of the main task on every held-out split, before and after."""
    choices, fitted_on = {}, "nothing (no validation data)"
    val = dict(held).get("val")
    for i, task in enumerate(model.tasks_):
        if val is not None:
            logits, labels = (
                model.task_logits(outputs["val"].logits, task),
                task_labels(model, val, task),
            )
            choices[task], fitted_on = (
                choose_temperature(logits, labels, seed=seed),
                "validation split",
            )
        elif oof_proba is not None and i == 0:
            logits = np.log(np.clip(oof_proba, 1e-12, 1.0))
            choices[task] = choose_temperature(logits, y_train, seed=seed)
            fitted_on = "cross-validated predictions on train"
        else:
            choices[task] = TemperatureChoice(1.0, None, "no calibration data (T = 1)")
    temperatures = {t: c.temperature for t, c in choices.items()}
    reasons = {t: c.reason for t, c in choices.items()}
    model.record.calibration = CalibrationRecord(temperatures, fitted_on, reasons)
    fitted = {t: c.fitted for t, c in choices.items()}
    result = CalibrationResult(temperatures, fitted_on, reasons=reasons, fitted=fitted)
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
    predictions = model.predictions(outputs)
    metrics = by_familiarity(
        classification_metrics(y, predictions.proba, model.classes_), y, predictions
    )
    return SplitPredictions(split, list(ds.origins), y, predictions.proba, metrics)


def check_familiarity(
    model: TransferModel,
    train: Dataset,
    outputs: dict[str, Outputs],
    progress: Any,
    train_features: np.ndarray | None = None,
) -> FamiliarityResult:
    """The unfamiliar-input check, fitted on the training features (``train_features``
    when training left them, computed otherwise) with the validation split as the
    in-distribution reference; stored with the model."""
    reference = outputs["val"].features if "val" in outputs else None
    feats = train_features if train_features is not None else model.embed(train, progress)
    familiarity = Familiarity.fit(feats, reference)
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


def original_backbone(prepared: Prepared) -> Backbone | None:
    """The pretrained backbone as it was, when training changed (or replaced) it."""
    if prepared.strategy.keeps_backbone:
        return None
    try:
        return placed(create_backbone(prepared.model_name, weights=prepared.weights))
    except (IncompatibleError, WeightsUnavailableError):
        if prepared.strategy.uses_pretrained_weights:
            raise
        # scratch on an architecture without pretrained weights (audio-cnn) or whose
        # weights are not on this machine (timm:NAME offline): no probe to compare with
        return None


def forgetting(
    model: TransferModel,
    prepared: Prepared,
    held: list[tuple[str, Dataset]],
    features: dict[str, np.ndarray],
    original: Backbone | None,
) -> Forgetting | None:
    """How much of the source skill survived, when the backbone started pretrained and
    training changed it; on the last held-out split (test, else validation)."""
    if original is None or not prepared.strategy.uses_pretrained_weights:
        return None
    name, ds = held[-1] if held else ("train", prepared.splits.train)
    return measure_forgetting(
        original,
        model.backbone,
        ds.inputs,
        features.get(name),
        prepared.context.cache,
        ds.groups,
    )


def probe_baseline(
    prepared: Prepared, held: list[tuple[str, Dataset]], original: Backbone | None
) -> dict[str, SplitMetrics] | None:
    """A logistic linear probe on the pretrained features of the same splits: the
    baseline every strategy that trains the backbone must beat (seconds: the features
    come from the cache)."""
    if original is None or not held:
        return None
    ctx, classes = prepared.context, prepared.splits.classes
    probe = fit_logistic(
        ctx.features(original, prepared.splits.train, "train (pretrained, for the probe)"),
        ctx.y_train,
        len(classes),
        seed=prepared.seed,
    )
    out = {}
    for name, ds in held:
        logits = ctx.features(original, ds, f"{name} (pretrained)") @ probe.weight.T + probe.bias
        out[name] = classification_metrics(ds.encode(classes), softmax(logits), classes)
    return out


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
