"""How a model is judged: metrics, calibration, unfamiliar inputs, forgetting, statistics;
pure functions of predictions and features, and the typed records of what was measured."""

from transferkit.evaluation.metrics import classification_metrics, softmax
from transferkit.evaluation.predictions import SplitPredictions, predictions_csv
from transferkit.evaluation.results import FitMetrics, SplitMetrics

__all__ = [
    "FitMetrics",
    "SplitMetrics",
    "SplitPredictions",
    "classification_metrics",
    "predictions_csv",
    "softmax",
]
