"""Everything a fit reports about its model beyond accuracy: calibration (temperature
fitted on validation data), the familiarity check for unfamiliar inputs, overfitting and
forgetting. Only validation data (or cross-validation on train) is used to fit anything;
the test split is only measured."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from torch import nn

from transferkit.data.dataset import Dataset, Splits
from transferkit.evaluation.calibration import (
    expected_calibration_error,
    fit_temperature,
    reliability_table,
)
from transferkit.evaluation.metrics import classification_metrics, softmax
from transferkit.evaluation.overfitting import overfitting_warning
from transferkit.evaluation.predictions import SplitPredictions
from transferkit.models.familiarity import Familiarity
from transferkit.progress import SILENT, Progress


@dataclass
class Judgement:
    predictions: list[SplitPredictions]
    calibration: dict[str, Any]
    familiarity: Familiarity | None
    familiarity_rates: dict[str, float] = field(default_factory=dict)
    overfitting: str | None = None
    held_features: dict[str, np.ndarray] = field(default_factory=dict)


def _main_logits(model: Any, logits: np.ndarray) -> np.ndarray:
    return logits[:, model._task_slice(None)]


def calibrate(
    model: Any,
    val: tuple[np.ndarray, np.ndarray] | None,
    oof_proba: np.ndarray | None,
    y_train: np.ndarray,
) -> dict[str, Any]:
    """Temperature fitted on validation logits, else on cross-validated probabilities."""
    if val is not None:
        temperature, fitted_on = fit_temperature(val[0], val[1]), "validation split"
    elif oof_proba is not None:
        logits = np.log(np.clip(oof_proba, 1e-12, 1.0))
        temperature, fitted_on = (
            fit_temperature(logits, y_train),
            "cross-validated predictions on train",
        )
    else:
        temperature, fitted_on = 1.0, "nothing (no validation data)"
    return {"temperature": float(temperature), "fitted_on": fitted_on}


def judge(
    model: Any,
    splits: Splits,
    y_train: np.ndarray,
    oof_proba: np.ndarray | None,
    history: dict[str, Any] | None,
    progress: Progress = SILENT,
) -> Judgement:
    held: list[tuple[str, Dataset]] = [
        (n, d) for n, d in (("val", splits.val), ("test", splits.test)) if d is not None
    ]
    analysed = {name: model.analyse(ds, progress) for name, ds in held}
    labels = {name: ds.encode(model.classes_) for name, ds in held}
    val = (_main_logits(model, analysed["val"][1]), labels["val"]) if "val" in analysed else None
    if len(model.tasks_) > 1:  # one temperature cannot serve several heads
        calibration: dict[str, Any] = {"temperature": 1.0, "fitted_on": "not fitted (multi-task)"}
    else:
        calibration = calibrate(model, val, oof_proba, y_train)
    t = calibration["temperature"]
    predictions = []
    for name, ds in held:
        logits = _main_logits(model, analysed[name][1])
        before, after = softmax(logits), softmax(logits / t)
        calibration[name] = {
            "ece_before": expected_calibration_error(before, labels[name]),
            "ece_after": expected_calibration_error(after, labels[name]),
            "reliability_before": _jsonable(reliability_table(before, labels[name])),
            "reliability_after": _jsonable(reliability_table(after, labels[name])),
        }
        predictions.append(
            SplitPredictions(
                name,
                list(ds.origins),
                labels[name],
                after,
                classification_metrics(labels[name], after, model.classes_),
            )
        )
    train_features = model.embed(splits.train, progress)
    familiarity = Familiarity.fit(train_features, analysed["val"][0] if "val" in analysed else None)
    rates = {name: float(np.mean(familiarity.flags(analysed[name][0]))) for name, _ in held}
    return Judgement(
        predictions,
        calibration,
        familiarity,
        rates,
        overfitting_warning(history, batchnorm_trained=_batchnorm_trained(model)),
        {name: analysed[name][0] for name, _ in held},
    )


def _batchnorm_trained(model: Any) -> bool:
    """Whether batch-norm layers of the backbone ran in training mode during the fit
    (not when the backbone was frozen: a probe, or domain adaptation in frozen mode)."""
    record = getattr(model, "record", {}) or {}
    config = record.get("strategy", {}).get("config", {})
    if record.get("backbone_frozen") or config.get("freeze_bn") or config.get("mode") == "frozen":
        return False
    backbone = model.classifier.backbone
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in backbone.modules())


def _jsonable(table: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in table.items():
        if isinstance(v, np.ndarray):
            out[k] = [None if isinstance(x, float) and np.isnan(x) else x for x in v.tolist()]
        else:
            out[k] = None if isinstance(v, float) and np.isnan(v) else v
    return out
