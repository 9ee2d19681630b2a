"""Predictions of a model on labelled splits, with their metrics, as a run reports them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from transferkit.evaluation.results import SplitMetrics


@dataclass
class SplitPredictions:
    split: str
    origins: list[str]
    y: np.ndarray
    proba: np.ndarray
    metrics: SplitMetrics


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
