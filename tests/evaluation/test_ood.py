"""OOD scores: formulas against scipy, distance scorers against brute-force references,
higher scores for shifted data, n < d, save/load round trips, and the threshold helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.covariance import LedoitWolf
from sklearn.metrics import roc_auc_score

from transferkit.errors import ConfigError, NotFittedError
from transferkit.evaluation.ood import (
    KNNDistance,
    threshold_for,
)


def blobs(n_per_class: int, d: int, seed: int, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes at +-3 on the first axis, optionally all moved along the second."""
    rng = np.random.default_rng(seed)
    means = np.zeros((2, d))
    means[0, 0], means[1, 0] = -3.0, 3.0
    labels = np.repeat([0, 1], n_per_class)
    x = means[labels] + rng.normal(size=(2 * n_per_class, d))
    x[:, 1] += shift
    return x, labels


def auroc(in_scores: np.ndarray, out_scores: np.ndarray) -> float:
    y = np.r_[np.zeros(len(in_scores)), np.ones(len(out_scores))]
    return float(roc_auc_score(y, np.r_[in_scores, out_scores]))


# ------------------------------------------------------------------------------ logits


def within_class_ledoit_wolf(
    train: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, LedoitWolf]:
    """Class means, and sklearn's Ledoit-Wolf fitted on the deviations from them."""
    classes = np.unique(labels)
    means = np.stack([train[labels == c].mean(axis=0) for c in classes])
    centred = train - means[np.searchsorted(classes, labels)]
    return means, LedoitWolf(assume_centered=True).fit(centred)


# -------------------------------------------------------------------------------- kNN


def knn_reference(train: np.ndarray, test: np.ndarray, k: int) -> np.ndarray:
    tr = train / np.linalg.norm(train, axis=1, keepdims=True)
    te = test / np.linalg.norm(test, axis=1, keepdims=True)
    return np.sort(cdist(te, tr), axis=1)[:, k - 1]


@pytest.mark.parametrize("k", [1, 5, 40])
def test_knn_matches_brute_force_in_small_chunks(k: int) -> None:
    rng = np.random.default_rng(12)
    train = rng.normal(size=(300, 16))
    test = rng.normal(size=(70, 16))
    scorer = KNNDistance().fit(train)
    expected = knn_reference(train, test, k)
    np.testing.assert_allclose(scorer.score(test, k=k, chunk_size=8), expected, atol=1e-6)
    np.testing.assert_allclose(scorer.score(test, k=k), expected, atol=1e-6)


def test_knn_scores_shifted_data_higher_and_ignores_scale() -> None:
    train, _ = blobs(200, 6, seed=13)
    held_out, _ = blobs(200, 6, seed=14)
    shifted, _ = blobs(200, 6, seed=15, shift=8.0)
    scorer = KNNDistance().fit(train)
    s_in = scorer.score(held_out, k=5)
    assert auroc(s_in, scorer.score(shifted, k=5)) > 0.95
    # Features are L2-normalised: rescaling queries or the bank changes nothing.
    np.testing.assert_allclose(scorer.score(held_out * 1e3, k=5), s_in, atol=1e-9)
    np.testing.assert_allclose(KNNDistance().fit(train * 1e-3).score(held_out, k=5), s_in)
    assert np.all((s_in >= 0) & (s_in <= 2))


def test_knn_excludes_nothing_and_works_when_n_lt_d() -> None:
    rng = np.random.default_rng(16)
    train = rng.normal(size=(20, 64))  # n < d
    scorer = KNNDistance().fit(train)
    np.testing.assert_allclose(scorer.score(train, k=1), 0.0, atol=1e-6)  # itself
    np.testing.assert_allclose(scorer.score(train, k=2), knn_reference(train, train, 2), atol=1e-6)
    assert scorer.default_k() == 1
    assert KNNDistance().fit(rng.normal(size=(2600, 2))).default_k() == 3
    with pytest.raises(ConfigError, match="between 1 and the 20 training features"):
        scorer.score(train, k=21)


def test_knn_round_trips_through_safetensors(tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    rng = np.random.default_rng(17)
    train, test = rng.normal(size=(100, 12)), rng.normal(size=(30, 12))
    scorer = KNNDistance().fit(train)
    save_file(scorer.to_arrays(), str(tmp_path / "knn.safetensors"))
    loaded = KNNDistance.from_arrays(load_file(str(tmp_path / "knn.safetensors")))
    np.testing.assert_array_equal(loaded.score(test, k=3), scorer.score(test, k=3))
    with pytest.raises(NotFittedError, match=r"KNNDistance scorer is not fitted yet"):
        KNNDistance().score(test)


# --------------------------------------------------------------------------- threshold


def test_threshold_flags_about_five_percent_of_in_distribution() -> None:
    rng = np.random.default_rng(18)
    validation, new_in = rng.normal(size=4000), rng.normal(size=4000)
    out = rng.normal(loc=4.0, size=1000)
    threshold = threshold_for(validation, quantile=0.95)
    assert threshold == pytest.approx(1.645, abs=0.08)  # the normal's 95th percentile
    assert 0.04 <= (new_in > threshold).mean() <= 0.06
    assert (out > threshold).mean() > 0.9
    assert threshold_for(np.arange(101.0), 0.5) == 50.0
    with pytest.raises(ConfigError, match="between 0 and 1"):
        threshold_for(validation, quantile=95)
