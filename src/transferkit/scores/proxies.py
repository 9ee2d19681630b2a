"""Cheap empirical proxies: cross-validated accuracy of simple classifiers on the features."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from transferkit.scores._checks import check_features, encode_labels


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

    def make(n_train: int) -> ClassifierMixin:
        return KNeighborsClassifier(min(k, n_train), metric="cosine", algorithm="brute")

    return _cross_validated(make, features, labels, folds, seed)


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

    return _cross_validated(make, features, labels, folds, seed)


def _cross_validated(
    make: Callable[[int], ClassifierMixin],
    features: np.ndarray,
    labels: np.ndarray,
    folds: int,
    seed: int,
) -> float:
    f = check_features(features)
    codes, _ = encode_labels(labels, len(f))
    folds = max(2, min(folds, int(np.bincount(codes).min())))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    correct = 0
    with warnings.catch_warnings():
        # Expected when a class has one example: it cannot be in every fold, and that is fine.
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        for train, test in splitter.split(f, codes):
            correct += int(np.sum(_fit_predict(make, f, codes, train, test) == codes[test]))
    return correct / len(codes)


def _fit_predict(
    make: Callable[[int], ClassifierMixin],
    f: np.ndarray,
    codes: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
) -> np.ndarray:
    present = np.unique(codes[train])
    if len(present) == 1:  # a singleton class held out can leave one class to train on
        return np.full(len(test), present[0])
    return make(len(train)).fit(f[train], codes[train]).predict(f[test])
