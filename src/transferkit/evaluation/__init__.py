"""How a model is judged: metrics, predictions on held-out splits."""

from transferkit.evaluation.metrics import classification_metrics, softmax
from transferkit.evaluation.predictions import SplitPredictions, predict_split, predictions_csv

__all__ = [
    "SplitPredictions",
    "classification_metrics",
    "predict_split",
    "predictions_csv",
    "softmax",
]
