"""H-score against its definition, with covariances built element by element."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.covariance import LedoitWolf, ledoit_wolf_shrinkage

from transferkit.errors import ConfigError
from transferkit.scores import hscore
from transferkit.scores import ledoit_wolf_shrinkage as our_shrinkage


def covariance_by_loops(x: np.ndarray) -> np.ndarray:
    n, d = x.shape
    mean = [sum(x[i, j] for i in range(n)) / n for j in range(d)]
    cov = np.zeros((d, d))
    for j in range(d):
        for k in range(d):
            cov[j, k] = sum((x[i, j] - mean[j]) * (x[i, k] - mean[k]) for i in range(n)) / n
    return cov


def class_means_by_loops(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Row i is the mean feature vector of the class of example i."""
    g = np.zeros_like(x)
    for i in range(len(x)):
        same = [k for k in range(len(x)) if labels[k] == labels[i]]
        g[i] = sum(x[k] for k in same) / len(same)
    return g


def problem(n: int, d: int, classes: int, signal: float, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    scales = rng.uniform(0.2, 3.0, d)  # anisotropic, so that the shrinkage is not trivial
    features = rng.normal(size=(n, d)) * scales + signal * np.eye(classes)[labels] @ rng.normal(
        size=(classes, d)
    )
    return features + 5.0, labels  # an offset, to check that the features are centred


def test_plain_hscore_matches_the_definition() -> None:
    features, labels = problem(40, 6, 3, 1.0, seed=0)
    cov_f = covariance_by_loops(features)
    cov_g = covariance_by_loops(class_means_by_loops(features, labels))
    expected = np.trace(np.linalg.inv(cov_f) @ cov_g)
    assert hscore(features, labels, shrinkage=False) == pytest.approx(expected, rel=1e-9)


def test_shrinkage_hscore_matches_the_definition_with_sklearns_ledoit_wolf() -> None:
    features, labels = problem(40, 6, 3, 1.0, seed=1)
    lw = LedoitWolf().fit(features)
    a = lw.shrinkage_
    assert 0.0 < a < 1.0
    cov_g = covariance_by_loops(class_means_by_loops(features, labels))
    expected = np.trace(np.linalg.inv(lw.covariance_) @ ((1 - a) * cov_g))
    assert hscore(features, labels) == pytest.approx(expected, rel=1e-9)


def test_fixed_shrinkage_matches_the_definition() -> None:
    features, labels = problem(30, 5, 2, 1.0, seed=2)
    a = 0.3
    cov_f = covariance_by_loops(features)
    shrunk = (1 - a) * cov_f + a * np.trace(cov_f) / 5 * np.eye(5)
    cov_g = covariance_by_loops(class_means_by_loops(features, labels))
    expected = np.trace(np.linalg.inv(shrunk) @ ((1 - a) * cov_g))
    assert hscore(features, labels, shrinkage=a) == pytest.approx(expected, rel=1e-9)
    assert hscore(features, labels, shrinkage=0.0) == pytest.approx(
        hscore(features, labels, shrinkage=False), rel=1e-12
    )
    assert hscore(features, labels, shrinkage=1.0) == 0.0


@pytest.mark.parametrize(("n", "d"), [(40, 6), (12, 50), (50, 50)])
def test_ledoit_wolf_coefficient_matches_sklearn(n: int, d: int) -> None:
    features, _ = problem(n, d, 2, 0.5, seed=3)
    centred = features - features.mean(axis=0)
    assert our_shrinkage(centred) == pytest.approx(ledoit_wolf_shrinkage(features), rel=1e-9)


def test_when_n_below_d_plain_is_degenerate_and_shrinkage_is_informative() -> None:
    # With n <= d the centred features span every direction the class means can take, so
    # the plain H-score is C - 1 whatever the features are.
    informative, labels = problem(20, 60, 4, 2.0, seed=4)
    noise, _ = problem(20, 60, 4, 0.0, seed=5)
    assert hscore(informative, labels, shrinkage=False) == pytest.approx(3.0, rel=1e-8)
    assert hscore(noise, labels, shrinkage=False) == pytest.approx(3.0, rel=1e-8)
    shrunk_informative = hscore(informative, labels)
    shrunk_noise = hscore(noise, labels)
    assert np.isfinite(shrunk_informative) and np.isfinite(shrunk_noise)
    assert 0.0 <= shrunk_noise < shrunk_informative <= 3.0


def test_shrinkage_hscore_is_stable_under_duplicated_examples_when_n_below_d() -> None:
    features, labels = problem(10, 40, 2, 1.0, seed=6)
    doubled = hscore(np.vstack([features, features]), np.tile(labels, 2))
    assert np.isfinite(doubled) and 0.0 <= doubled <= 1.0


def test_hscore_is_invariant_to_feature_scale() -> None:
    features, labels = problem(40, 6, 3, 1.0, seed=7)
    for shrinkage in (True, False, 0.2):
        for scale in (1e-200, 1e4, 1e200):
            assert hscore(scale * features, labels, shrinkage) == pytest.approx(
                hscore(features, labels, shrinkage), rel=1e-9
            )


def test_invalid_shrinkage_is_a_config_error() -> None:
    features, labels = problem(20, 4, 2, 1.0, seed=8)
    with pytest.raises(ConfigError):
        hscore(features, labels, shrinkage=1.5)
