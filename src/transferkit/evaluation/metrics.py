"""Classification metrics from labels and predicted probabilities."""

from __future__ import annotations

import numpy as np

from transferkit.evaluation.results import ClassMetrics, SplitMetrics
from transferkit.evaluation.statistics import macro_f1_interval, wilson_interval


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def classification_metrics(
    y_true: np.ndarray, proba: np.ndarray, classes: list[str]
) -> SplitMetrics:
    """Accuracy, macro-F1, log loss, a per-class table and the confusion matrix.

    Args:
        y_true: ``[N]`` class indices.
        proba: ``[N, C]`` predicted probabilities.
        classes: the ``C`` class names.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y_true = np.asarray(y_true)
    if len(y_true) == 0:  # an empty split: nothing to count (scikit-learn refuses it)
        nan, empty = float("nan"), [[0] * len(classes) for _ in classes]
        per_class = {c: ClassMetrics(0.0, 0.0, 0.0, 0) for c in classes}
        return SplitMetrics(0, nan, nan, nan, per_class, empty)
    y_pred = proba.argmax(axis=1)
    labels = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    present = support > 0
    picked = np.clip(proba[np.arange(len(y_true)), y_true], 1e-12, 1.0)
    support_all = np.bincount(y_true, minlength=len(classes))
    majority = int(support_all.argmax())
    return SplitMetrics(
        n=len(y_true),
        accuracy=float(np.mean(y_pred == y_true)) if len(y_true) else float("nan"),
        macro_f1=float(np.mean(f1[present])) if present.any() else float("nan"),
        log_loss=float(-np.mean(np.log(picked))),
        per_class={
            c: ClassMetrics(float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
            for i, c in enumerate(classes)
        },
        confusion_matrix=confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        accuracy_interval=wilson_interval(int(np.sum(y_pred == y_true)), len(y_true)),
        macro_f1_interval=macro_f1_interval(y_true, y_pred, len(classes)),
        majority_class=classes[majority],
        majority_accuracy=float(support_all[majority] / len(y_true)),
        chance=1.0 / len(classes),
    )
