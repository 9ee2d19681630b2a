"""LogME against a brute-force maximisation of the textbook evidence formula."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from transferkit.scores import logme

# log10 alpha and log10 beta; wider ranges make A too ill-conditioned to solve when n < d.
GRID = np.linspace(-6.0, 6.0, 49)


def log_evidence(f: np.ndarray, y: np.ndarray, log_alpha: float, log_beta: float) -> float:
    """log p(y | F, alpha, beta) of Bayesian linear regression, written out directly."""
    n, d = f.shape
    alpha, beta = 10.0**log_alpha, 10.0**log_beta
    a = alpha * np.eye(d) + beta * f.T @ f
    m = beta * np.linalg.solve(a, f.T @ y)
    return (
        n / 2 * np.log(beta)
        + d / 2 * np.log(alpha)
        - n / 2 * np.log(2 * np.pi)
        - beta / 2 * np.sum((y - f @ m) ** 2)
        - alpha / 2 * np.sum(m**2)
        - np.linalg.slogdet(a)[1] / 2
    )


def max_log_evidence(f: np.ndarray, y: np.ndarray) -> float:
    """Global maximum: a 2-D log grid, then Nelder-Mead from the highest local maxima of the
    grid (the evidence can be multimodal), compared with the closed-form limits at the edges
    of the domain (the supremum can be one of them)."""
    values = np.array([[log_evidence(f, y, a, b) for b in GRID] for a in GRID])
    padded = np.pad(values, 1, constant_values=-np.inf)
    neighbours = [
        padded[1 + i : 1 + i + len(GRID), 1 + j : 1 + j + len(GRID)]
        for i in (-1, 0, 1)
        for j in (-1, 0, 1)
        if (i, j) != (0, 0)
    ]
    peaks = np.argwhere(values >= np.max(neighbours, axis=0))
    peaks = peaks[np.argsort(-values[tuple(peaks.T)])][:3]  # the three highest suffice
    best, where = -np.inf, None
    for i, j in peaks:
        res = minimize(
            lambda p: -log_evidence(f, y, *p) if np.all(np.abs(p) <= GRID[-1]) else np.inf,
            x0=[GRID[i], GRID[j]],
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 1000},
        )
        if -res.fun > best:
            best, where = -res.fun, res.x
    limit = max(no_signal_limit(y), noise_free_limit(f, y))
    if np.any(np.abs(where) > GRID[-1] - 0.5):
        assert limit >= best - 1e-9 * abs(best), "maximum beyond the grid, not at a limit"
    return max(best, limit)


def no_signal_limit(y: np.ndarray) -> float:
    """alpha -> inf: y ~ N(0, I / beta), maximal at beta = n / ||y||^2."""
    n = len(y)
    return n / 2 * np.log(n / np.sum(y**2)) - n / 2 * np.log(2 * np.pi) - n / 2


def noise_free_limit(f: np.ndarray, y: np.ndarray) -> float:
    """beta -> inf: y ~ N(0, F F^T / alpha), maximal at alpha = n / (y^T (F F^T)^-1 y); finite
    only when F F^T is invertible (n <= d)."""
    n = len(y)
    gram = f @ f.T
    if np.linalg.matrix_rank(gram) < n:
        return -np.inf
    alpha = n / (y @ np.linalg.solve(gram, y))
    return (
        -n / 2 * np.log(2 * np.pi) - np.linalg.slogdet(gram)[1] / 2 + n / 2 * np.log(alpha) - n / 2
    )


def brute_force_logme(f: np.ndarray, labels: np.ndarray) -> float:
    classes = np.unique(labels)
    evidences = [max_log_evidence(f, (labels == c).astype(float)) for c in classes]
    return float(np.mean(evidences) / len(f))


def two_class_problem(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    signal = rng.uniform(0, 2) * np.outer(2 * labels - 1, rng.normal(size=d))
    return rng.normal(size=(n, d)) + signal, labels


@pytest.mark.parametrize(("n", "d"), [(30, 5), (8, 20)])
def test_logme_matches_brute_force_on_random_problems(n: int, d: int) -> None:
    rng = np.random.default_rng(n * 100 + d)
    labels = np.arange(n) % 3
    features = rng.normal(size=(n, d)) + 0.7 * np.eye(3)[labels] @ rng.normal(size=(3, d))
    assert logme(features, labels) == pytest.approx(brute_force_logme(features, labels), rel=1e-6)


# On these problems the paper's iteration started at alpha = beta = 1 ends in a local
# maximum whose LogME is about 0.01 below the global one.
@pytest.mark.parametrize(("n", "d", "seed"), [(10, 6, 98), (12, 20, 40)])
def test_logme_finds_the_global_maximum_of_a_bimodal_evidence(n: int, d: int, seed: int) -> None:
    features, labels = two_class_problem(n, d, seed)
    assert logme(features, labels) == pytest.approx(brute_force_logme(features, labels), rel=1e-6)


def test_informative_features_score_higher_than_noise() -> None:
    rng = np.random.default_rng(0)
    labels = np.arange(120) % 4
    noise = rng.normal(size=(120, 16))
    informative = noise + 2.0 * np.eye(4)[labels] @ rng.normal(size=(4, 16))
    assert logme(informative, labels) > logme(noise, labels) + 0.1


@pytest.mark.parametrize(("n", "d"), [(60, 10), (15, 40)])
def test_logme_is_invariant_to_scale_and_rotation(n: int, d: int) -> None:
    rng = np.random.default_rng(1)
    labels = np.arange(n) % 3
    features = rng.normal(size=(n, d)) + np.eye(3)[labels] @ rng.normal(size=(3, d))
    rotation = np.linalg.qr(rng.normal(size=(d, d)))[0]
    reference = logme(features, labels)
    for transformed in (features * 1e-200, features * 1e-3, features * 1e200, features @ rotation):
        assert logme(transformed, labels) == pytest.approx(reference, rel=1e-6)


def test_logme_is_finite_when_labels_lie_in_the_span_of_the_features() -> None:
    # Duplicated examples with n < d: every one-hot column is in the span of the features,
    # so the evidence grows without bound as the noise variance goes to 0.
    rng = np.random.default_rng(2)
    base = rng.normal(size=(6, 30))
    features = np.vstack([base, base])
    labels = np.tile(np.arange(6) % 2, 2)
    assert np.isfinite(logme(features, labels))


def test_logme_of_constant_features_is_the_evidence_of_a_constant_model() -> None:
    labels = np.array([0, 0, 0, 1])
    # With no usable feature the evidence is that of y ~ N(0, I / beta) at beta = n / ||y||^2.
    expected = (
        np.mean(
            [
                2 * np.log(4 / 3) - 2 * np.log(2 * np.pi) - 2,
                2 * np.log(4 / 1) - 2 * np.log(2 * np.pi) - 2,
            ]
        )
        / 4
    )
    assert logme(np.zeros((4, 3)), labels) == pytest.approx(expected, rel=1e-9)
