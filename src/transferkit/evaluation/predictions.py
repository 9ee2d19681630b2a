"""Predictions of a model on labelled splits, with their metrics, as a run reports them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from transferkit.data.dataset import Dataset
from transferkit.evaluation.metrics import classification_metrics
from transferkit.progress import SILENT, Progress


@dataclass
class SplitPredictions:
    split: str
    origins: list[str]
    y: np.ndarray
    proba: np.ndarray
    metrics: dict[str, Any]


def predict_split(
    model: Any, ds: Dataset, split: str, progress: Progress = SILENT
) -> SplitPredictions:
    y = ds.encode(model.classes_)
    proba = model.predict_proba(ds, progress)
    return SplitPredictions(
        split, list(ds.origins), y, proba, classification_metrics(y, proba, model.classes_)
    )


def predictions_csv(preds: list[SplitPredictions], classes: list[str]) -> str:
    """One row per example: split, input, label, prediction and every class probability
    (written with full float precision, so a reloaded model can be checked against it)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["split", "input", "label", "predicted", *[f"p_{c}" for c in classes]])
    for p in preds:
        for origin, y, row in zip(p.origins, p.y, p.proba, strict=True):
            writer.writerow(
                [
                    p.split,
                    origin,
                    classes[y],
                    classes[int(row.argmax())],
                    *[repr(float(v)) for v in row],
                ]
            )
    return buf.getvalue()
