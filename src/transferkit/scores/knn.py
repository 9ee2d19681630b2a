"""k-NN accuracy: a cheap empirical proxy of transferability."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scikit-learn is imported where it is used: it costs a second
    from sklearn.base import ClassifierMixin

from transferkit.scores._crossval import cross_validated
from transferkit.scores.registry import register_score

DESCRIPTION = "Cross-validated 5-NN accuracy with cosine distance."


@register_score("knn", title="k-NN accuracy", needs="features", description=DESCRIPTION)
def knn_accuracy(
    features: np.ndarray, labels: np.ndarray, k: int = 5, folds: int = 5, seed: int = 0
) -> float:
    """Stratified, seeded cross-validated accuracy of a k-nearest-neighbour classifier with
    cosine distance (k is lowered to the training-fold size if needed).

    Args:
        features: [n, d] features; labels: [n] class labels.
        folds: number of folds, lowered to the smallest class count (at least 2).

    Returns:
        The fraction of examples classified correctly when held out, in [0, 1].
    """

    from sklearn.neighbors import KNeighborsClassifier

    def make(n_train: int) -> ClassifierMixin:
        return KNeighborsClassifier(min(k, n_train), metric="cosine", algorithm="brute")

    return cross_validated(make, features, labels, folds, seed)
