"""Linear-probe accuracy: a cheap empirical proxy of transferability."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scikit-learn is imported where it is used: it costs a second
    from sklearn.base import ClassifierMixin

from transferkit.scores._crossval import cross_validated
from transferkit.scores.registry import register_score

DESCRIPTION = "Cross-validated accuracy of a logistic regression on standardised features."


@register_score("linear", title="Linear-probe accuracy", needs="features", description=DESCRIPTION)
def linear_probe_accuracy(
    features: np.ndarray, labels: np.ndarray, folds: int = 5, seed: int = 0
) -> float:
    """The held-out accuracy (in [0, 1]) of an L2 logistic regression (C = 1.0) on
    standardised features [n, d] of examples with labels [n], in stratified, seeded
    ``folds``-fold cross-validation (fewer folds when a class has fewer examples); the
    standardisation is fitted on each training fold."""

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def make(n_train: int) -> ClassifierMixin:
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))

    return cross_validated(make, features, labels, folds, seed)
