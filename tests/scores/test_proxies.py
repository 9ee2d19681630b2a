"""The empirical proxies on separable and on label-shuffled data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from transferkit.scores import knn_accuracy, linear_probe_accuracy

PROXIES = [knn_accuracy, linear_probe_accuracy]


def clusters(n_per_class: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Well separated clusters in different directions (so cosine distance separates them)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), n_per_class)
    centres = 10.0 * np.eye(classes, 8)
    return centres[labels] + rng.normal(size=(len(labels), 8)), labels


@pytest.mark.parametrize("proxy", PROXIES)
def test_separable_data_is_classified_perfectly(proxy: Callable[..., float]) -> None:
    features, labels = clusters(20, 3, seed=0)
    assert proxy(features, labels) == 1.0


@pytest.mark.parametrize("proxy", PROXIES)
def test_shuffled_labels_give_chance_accuracy(proxy: Callable[..., float]) -> None:
    features, labels = clusters(50, 4, seed=1)
    shuffled = np.random.default_rng(2).permutation(labels)
    assert abs(proxy(features, shuffled) - 0.25) < 0.12


@pytest.mark.parametrize("proxy", PROXIES)
def test_proxies_are_seeded_and_work_with_tiny_classes(proxy: Callable[..., float]) -> None:
    features, labels = clusters(6, 3, seed=3)
    labels[-1] = 3  # a class with a single example: folds drop to 2, with no warning
    assert proxy(features, labels, seed=7) == proxy(features, labels, seed=7)
    assert 0.0 <= proxy(features, labels) <= 1.0
