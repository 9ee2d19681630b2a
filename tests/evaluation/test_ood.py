"""OOD scores: formulas against scipy, distance scorers against brute-force references,
higher scores for shifted data, n < d, save/load round trips, and the threshold helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.special import logsumexp, softmax
from sklearn.covariance import LedoitWolf
from sklearn.metrics import roc_auc_score

from transferkit.errors import ConfigError, NotFittedError
from transferkit.evaluation.ood import (
    KNNDistance,
    Mahalanobis,
    energy_score,
    flag,
    max_softmax_score,
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


def test_max_softmax_score_is_minus_the_top_probability() -> None:
    logits = np.random.default_rng(0).normal(size=(20, 6)) * 4
    np.testing.assert_allclose(
        max_softmax_score(logits), -softmax(logits, axis=1).max(axis=1), rtol=1e-12
    )
    confident, uniform = max_softmax_score(np.array([[10.0, 0.0, 0.0], [1.0, 1.0, 1.0]]))
    assert confident < uniform == pytest.approx(-1 / 3)
    # Same ranking whatever constant is added to a row; finite for huge logits.
    np.testing.assert_allclose(max_softmax_score(logits + 1e4), max_softmax_score(logits))
    assert np.isfinite(max_softmax_score(np.array([[1e300, -1e300]]))).all()


@pytest.mark.parametrize("t", [1.0, 0.5, 10.0])
def test_energy_score_is_minus_t_logsumexp(t: float) -> None:
    logits = np.random.default_rng(1).normal(size=(20, 6)) * 4
    np.testing.assert_allclose(
        energy_score(logits, T=t), -t * logsumexp(logits / t, axis=1), rtol=1e-12
    )


def test_energy_ranks_obvious_cases_and_does_not_overflow() -> None:
    peaked, flat, small = energy_score(np.array([[12.0, 0, 0], [1.0, 1, 1], [-5.0, -5, -5]]))
    assert peaked < flat < small
    # Adding c to every logit lowers the energy by exactly c (it is not shift-invariant).
    z = np.array([[2.0, 1.0, -1.0]])
    assert energy_score(z + 7.0)[0] == pytest.approx(energy_score(z)[0] - 7.0)
    big = energy_score(np.array([[1000.0, 999.0]]))
    assert big[0] == pytest.approx(-(1000.0 + np.log1p(np.exp(-1.0))))
    with pytest.raises(ConfigError, match="temperature"):
        energy_score(z, T=0.0)


# ------------------------------------------------------------------------- Mahalanobis


def within_class_ledoit_wolf(
    train: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, LedoitWolf]:
    """Class means, and sklearn's Ledoit-Wolf fitted on the deviations from them."""
    classes = np.unique(labels)
    means = np.stack([train[labels == c].mean(axis=0) for c in classes])
    centred = train - means[np.searchsorted(classes, labels)]
    return means, LedoitWolf(assume_centered=True).fit(centred)


def mahalanobis_reference(train: np.ndarray, labels: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Lee et al. (2018) by the letter: tied covariance of within-class deviations (shrunk
    with sklearn's Ledoit-Wolf), explicit inverse, explicit loop over classes."""
    means, lw = within_class_ledoit_wolf(train, labels)
    precision = np.linalg.inv(lw.covariance_)
    d2 = np.stack(
        [np.einsum("ij,jk,ik->i", test - mu, precision, test - mu) for mu in means], axis=1
    )
    return np.sqrt(d2.min(axis=1))


def test_mahalanobis_matches_a_direct_implementation() -> None:
    train, labels = blobs(100, 4, seed=2)
    labels = np.where(labels == 0, 7, 3)  # any integer labels
    test = np.random.default_rng(3).normal(size=(50, 4)) * 4
    scorer = Mahalanobis().fit(train, labels)
    np.testing.assert_array_equal(scorer.classes_, [3, 7])
    means, lw = within_class_ledoit_wolf(train, labels)
    np.testing.assert_allclose(scorer.means_, means, rtol=1e-12)
    assert scorer.shrinkage_ == pytest.approx(lw.shrinkage_, rel=1e-9)
    np.testing.assert_allclose(scorer.covariance_, lw.covariance_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        scorer.score(test), mahalanobis_reference(train, labels, test), rtol=1e-8
    )
    # A class mean is at distance 0 from itself.
    np.testing.assert_allclose(scorer.score(scorer.means_), 0.0, atol=1e-6)


def test_mahalanobis_scores_shifted_data_higher() -> None:
    train, labels = blobs(200, 5, seed=4)
    held_out, _ = blobs(200, 5, seed=5)
    shifted, _ = blobs(200, 5, seed=6, shift=6.0)
    scorer = Mahalanobis().fit(train, labels)
    assert auroc(scorer.score(held_out), scorer.score(shifted)) > 0.99


def test_mahalanobis_works_with_fewer_examples_than_dimensions() -> None:
    train, labels = blobs(10, 50, seed=7)  # n = 20 < d = 50
    scorer = Mahalanobis().fit(train, labels)
    assert 0 < scorer.shrinkage_ <= 1
    assert np.all(np.diag(scorer.cholesky_) > 0)
    np.testing.assert_allclose(scorer.covariance_, scorer.covariance_.T)
    held_out, _ = blobs(50, 50, seed=8)
    far, _ = blobs(50, 50, seed=9, shift=25.0)
    s_in, s_out = scorer.score(held_out), scorer.score(far)
    assert np.all(np.isfinite(s_in)) and np.all(np.isfinite(s_out))
    assert auroc(s_in, s_out) > 0.99
    np.testing.assert_allclose(s_in, mahalanobis_reference(train, labels, held_out), rtol=1e-6)


def test_mahalanobis_round_trips_through_safetensors(tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    train, labels = blobs(30, 8, seed=10)
    test = np.random.default_rng(11).normal(size=(40, 8)) * 3
    scorer = Mahalanobis().fit(train, labels)
    arrays = scorer.to_arrays()
    assert all(isinstance(v, np.ndarray) for v in arrays.values())
    save_file(arrays, str(tmp_path / "maha.safetensors"))
    loaded = Mahalanobis.from_arrays(load_file(str(tmp_path / "maha.safetensors")))
    np.testing.assert_array_equal(loaded.score(test), scorer.score(test))
    np.testing.assert_array_equal(loaded.classes_, scorer.classes_)
    assert loaded.shrinkage_ == scorer.shrinkage_
    np.testing.assert_allclose(loaded.covariance_, scorer.covariance_)
    with pytest.raises(ValueError, match="to_arrays"):
        Mahalanobis.from_arrays({k: v for k, v in arrays.items() if k != "means"})


def test_mahalanobis_before_fit_raises_not_fitted() -> None:
    scorer = Mahalanobis()
    with pytest.raises(NotFittedError, match=r"not fitted yet; call fit\(features, labels\)"):
        scorer.score(np.zeros((2, 3)))
    with pytest.raises(NotFittedError):
        scorer.to_arrays()
    with pytest.raises(NotFittedError):
        _ = scorer.covariance_
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = scorer.nothing  # type: ignore[attr-defined]
    train, labels = blobs(5, 3, seed=0)
    with pytest.raises(ValueError, match="fitted on 3"):
        Mahalanobis().fit(train, labels).score(np.zeros((2, 4)))


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
    assert 0.04 <= flag(new_in, threshold).mean() <= 0.06
    assert flag(out, threshold).mean() > 0.9
    np.testing.assert_array_equal(flag(np.array([0.0, 10.0, np.nan]), 1.0), [False, True, True])
    assert threshold_for(np.arange(101.0), 0.5) == 50.0
    with pytest.raises(ConfigError, match="between 0 and 1"):
        threshold_for(validation, quantile=95)
