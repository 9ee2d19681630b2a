"""Linear-probe accuracy: a cheap empirical proxy of transferability."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from transferkit.scores._crossval import cross_validated
from transferkit.scores.registry import register_score


@register_score(
    "linear",
    title="Linear-probe accuracy",
    needs="features",
    description="Cross-validated accuracy of a logistic regression on standardised features.",
)
def linear_probe_accuracy(
    features: np.ndarray, labels: np.ndarray, folds: int = 5, seed: int = 0
) -> float:
    """Stratified, seeded cross-validated accuracy of an L2 logistic regression (C = 1.0) on
    standardised features (the standardisation is fitted on each training fold).

    Args:
        features: [n, d] features; labels: [n] class labels.
        folds: number of folds, lowered to the smallest class count (at least 2).

    Returns:
        The fraction of examples classified correctly when held out, in [0, 1].
    """

    def make(n_train: int) -> ClassifierMixin:
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))

    return cross_validated(make, features, labels, folds, seed)
