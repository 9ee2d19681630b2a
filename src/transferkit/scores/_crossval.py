"""Cross-validated accuracy of a simple classifier on the features: what the proxy scores
(k-NN, linear probe) share."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scikit-learn is imported where it is used: it costs a second
    from sklearn.base import ClassifierMixin

from transferkit.scores._checks import check_features, encode_labels


def cross_validated(
    make: Callable[[int], ClassifierMixin],
    features: np.ndarray,
    labels: np.ndarray,
    folds: int,
    seed: int,
) -> float:
    f = check_features(features)
    codes, _ = encode_labels(labels, len(f))
    folds = max(2, min(folds, int(np.bincount(codes).min())))
    from sklearn.model_selection import StratifiedKFold

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
