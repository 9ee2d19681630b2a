"""Proxy A-distance: ~0 for one distribution, ~2 for separable ones, growing with the shift,
seeded, balanced, and refusing too little data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from transferkit.errors import ConfigError, DataError
from transferkit.evaluation.domain import proxy_a_distance


def gaussian(n: int, d: int, shift: float, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d))
    x[:, 0] += shift
    return x


def test_matches_the_definition_written_out_fold_by_fold() -> None:
    # Equal sizes (no subsampling): scaler and classifier fitted on each training fold only,
    # error pooled over the held-out folds, PAD = 2 (1 - 2 err).
    source, target = gaussian(80, 3, 0.0, 11), gaussian(80, 3, 0.8, 12)
    x = np.concatenate([source, target])
    y = np.r_[np.zeros(80), np.ones(80)]
    wrong = 0
    for train, test in StratifiedKFold(5, shuffle=True, random_state=7).split(x, y):
        scaler = StandardScaler().fit(x[train])
        clf = LogisticRegression(max_iter=1000).fit(scaler.transform(x[train]), y[train])
        wrong += int((clf.predict(scaler.transform(x[test])) != y[test]).sum())
    expected = 2 * (1 - 2 * wrong / len(y))
    assert 0 < expected < 2
    assert proxy_a_distance(source, target, seed=7) == pytest.approx(expected, abs=1e-12)


def test_same_distribution_is_near_zero() -> None:
    assert proxy_a_distance(gaussian(300, 5, 0.0, 1), gaussian(300, 5, 0.0, 2)) < 0.3


def test_well_separated_domains_are_near_two() -> None:
    assert proxy_a_distance(gaussian(200, 5, 0.0, 3), gaussian(200, 5, 10.0, 4)) > 1.95


def test_grows_with_the_shift_and_matches_the_bayes_error() -> None:
    # Unit-variance Gaussians shifted by s along one axis: the best classifier errs
    # Phi(-s/2) of the time, so PAD -> 2 (1 - 2 Phi(-s/2)).
    pads = [
        proxy_a_distance(gaussian(1000, 3, 0.0, 5), gaussian(1000, 3, s, 6)) for s in (0.5, 1.5)
    ]
    assert pads[0] < pads[1]
    for pad, s in zip(pads, (0.5, 1.5), strict=True):
        assert pad == pytest.approx(2 * (1 - 2 * norm.cdf(-s / 2)), abs=0.15)


def test_seeded_and_balanced_by_subsampling() -> None:
    source, target = gaussian(60, 4, 0.0, 7), gaussian(900, 4, 0.0, 8)
    first = proxy_a_distance(source, target, seed=3)
    assert proxy_a_distance(source, target, seed=3) == first
    # Chance is 1/2 only if the domains are balanced: 60 vs 900 unbalanced would let a
    # classifier that always says "target" reach 94% and PAD ~ 1.75.
    assert first < 0.6
    assert 0.0 <= proxy_a_distance(target, source, seed=4, folds=3) <= 2.0


def test_refuses_too_little_data_and_bad_options() -> None:
    with pytest.raises(DataError, match="at least 5 examples in each domain"):
        proxy_a_distance(gaussian(4, 2, 0, 0), gaussian(50, 2, 0, 1))
    with pytest.raises(ConfigError, match="folds of at least 2"):
        proxy_a_distance(gaussian(10, 2, 0, 0), gaussian(10, 2, 0, 1), folds=1)
    with pytest.raises(ValueError, match="same number of features"):
        proxy_a_distance(gaussian(10, 2, 0, 0), gaussian(10, 3, 0, 1))
