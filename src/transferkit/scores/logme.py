"""LogME: the maximised evidence of a Bayesian linear model on the features."""

from __future__ import annotations

import numpy as np

from transferkit.scores._checks import check_features, encode_labels, one_hot
from transferkit.scores._spectral import principal_coordinates, unit_scale
from transferkit.scores.registry import register_score

TOL = 1e-8
MAX_ITER = 100
GRID_PER_DECADE = 8
GRID_MARGIN = 8  # decades beyond the spectrum
# The targets are 0/1, so a noise variance below 1e-10 is fitting rounding error; capping
# beta keeps the evidence finite when a one-hot column lies in the span of the features
# (e.g. duplicated examples when n <= d), where it would otherwise grow without bound.
MAX_BETA = 1e10


DESCRIPTION = "Maximised evidence of a Bayesian linear model (You et al., ICML 2021)."


@register_score("logme", title="LogME", needs="features", description=DESCRIPTION)
def logme(features: np.ndarray, labels: np.ndarray) -> float:
    """LogME (You, Liu, Wang, Long, "LogME: Practical Assessment of Pre-trained Models for
    Transfer Learning", ICML 2021).

    For each class c, the one-hot column y = 1[labels == c] [n] is modelled as
    y = F w + noise with w ~ N(0, I/alpha) and noise ~ N(0, I/beta). The log evidence is

        L(alpha, beta) = n/2 log beta + d/2 log alpha - n/2 log 2pi
                         - beta/2 ||y - F m||^2 - alpha/2 ||m||^2 - 1/2 log det A,
        A = alpha I + beta F^T F,   m = beta A^{-1} F^T y,

    maximised by the paper's fixed point gamma = sum_i beta s_i / (alpha + beta s_i),
    alpha <- gamma / ||m||^2, beta <- (n - gamma) / ||y - F m||^2 (s_i the eigenvalues of
    F^T F). The evidence can have several local maxima, and the fixed point converges to
    the one it starts near (slowly when that is at alpha or beta -> infinity), so it is
    started from every local maximum of a log-grid over alpha / beta, on which the optimal
    beta is closed-form, and the best result is kept. The score is mean_c max L / n.

    Args:
        features: [n, d] features of the target examples (any n, d).
        labels: [n] class labels (at least two classes).

    Returns:
        The LogME score (higher is better); invariant to scaling and rotating the features.
    """
    f = unit_scale(check_features(features))
    n = len(f)
    codes, num_classes = encode_labels(labels, n)
    sigma, coords = principal_coordinates(f)
    if len(sigma) == 0:  # constant-zero features: the evidence does not depend on alpha
        sigma, coords = np.zeros(1), np.zeros((n, 1))
    y = one_hot(codes, num_classes)
    safe = np.where(sigma > 0, sigma, 1.0)
    z2 = (coords.T @ y) ** 2 / safe[:, None]  # squared coordinates of y on U, [r, C]
    # Part of ||y||^2 outside the span of the features; clipped against cancellation.
    rest = np.clip(y.sum(axis=0) - z2.sum(axis=0), 0.0, None)
    cls, alpha, beta = _grid_candidates(sigma, z2, rest, n)
    start = _log_evidence(sigma, z2[:, cls], rest[cls], n, alpha, beta)
    alpha, beta = _fixed_point(sigma, z2[:, cls], rest[cls], n, alpha, beta)
    polished = _log_evidence(sigma, z2[:, cls], rest[cls], n, alpha, beta)
    best = np.full(num_classes, -np.inf)
    np.maximum.at(best, cls, np.fmax(start, polished))  # fmax: a diverged start is NaN
    return float(np.mean(best) / n)


def _grid_candidates(
    sigma: np.ndarray, z2: np.ndarray, rest: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every local maximum of the evidence over a log-grid of lam = alpha / beta, as
    (class index, alpha, beta) [K], to start the fixed point from.

    For fixed lam, E(lam) = ||y - F m||^2 + lam ||m||^2 = rest + sum_i z_i^2 lam / (lam + s_i)
    and L = n/2 log beta - beta/2 E - 1/2 sum_i log(1 + s_i / lam) + const, maximal at
    beta = n / E; the whole grid is one [G, r] x [r, C] product. All local maxima are kept
    because two of them can differ by less than the grid's resolution.
    """
    top = max(float(sigma.max()), 1e-300)
    low = max(float(sigma[sigma > 0].min(initial=top)), top * 1e-16)
    # Maxima at the ends (alpha -> inf: no signal; beta -> inf: y interpolated when n <= d)
    # are approached so slowly by the fixed point that the grid must reach close to them.
    lo, hi = np.log10(low) - GRID_MARGIN, np.log10(top) + GRID_MARGIN
    lam = np.logspace(lo, hi, int((hi - lo) * GRID_PER_DECADE) + 1)
    energy = rest + (lam[:, None] / (lam[:, None] + sigma)) @ z2  # [G, C]
    beta = np.minimum(n / np.maximum(energy, 1e-300), MAX_BETA)
    shrink = np.sum(np.log1p(sigma / lam[:, None]), axis=1, keepdims=True)  # [G, 1]
    value = 0.5 * n * np.log(beta) - 0.5 * beta * energy - 0.5 * shrink
    pad = np.full((1, value.shape[1]), -np.inf)
    left, right = np.vstack([pad, value[:-1]]), np.vstack([value[1:], pad])
    # Strict on the left so that a flat stretch yields one candidate, not all of its points.
    grid, cls = np.nonzero((value > left) & (value >= right))
    return cls, lam[grid] * beta[grid, cls], beta[grid, cls]


def _moments(
    sigma: np.ndarray, z2: np.ndarray, rest: np.ndarray, alpha: np.ndarray, beta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """gamma, ||m||^2 and ||y - F m||^2 per class [C], all in the eigenbasis of F^T F."""
    # Written with the ratios w, 1 - w in [0, 1] so that huge alpha or beta cannot overflow.
    w = beta * sigma[:, None] / (alpha + beta * sigma[:, None])
    gamma = np.sum(w, axis=0)
    m2 = np.sum(w**2 * z2 / np.where(sigma > 0, sigma, 1.0)[:, None], axis=0)
    res2 = np.sum((1 - w) ** 2 * z2, axis=0) + rest
    return gamma, m2, res2


def _fixed_point(
    sigma: np.ndarray,
    z2: np.ndarray,
    rest: np.ndarray,
    n: int,
    alpha: np.ndarray,
    beta: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """MacKay's / the paper's fixed-point iteration for (alpha, beta) [C], all classes at once."""
    for _ in range(MAX_ITER):
        gamma, m2, res2 = _moments(sigma, z2, rest, alpha, beta)
        # m2 == 0 only without any feature signal, where the evidence does not depend on alpha.
        new_alpha = np.divide(gamma, m2, out=alpha.copy(), where=m2 > 0)
        new_beta = np.divide(n - gamma, res2, out=np.full_like(beta, MAX_BETA), where=res2 > 0)
        new_beta = np.minimum(new_beta, MAX_BETA)
        done = np.all(np.abs(new_alpha / alpha - 1) < TOL) and np.all(
            np.abs(new_beta / beta - 1) < TOL
        )
        alpha, beta = new_alpha, new_beta
        if done:
            break
    return alpha, beta


def _log_evidence(
    sigma: np.ndarray,
    z2: np.ndarray,
    rest: np.ndarray,
    n: int,
    alpha: np.ndarray,
    beta: np.ndarray,
) -> np.ndarray:
    """log p(y | F, alpha, beta) per class [C]; the d - r zero eigenvalues of F^T F cancel
    their d/2 log alpha share against log det A, leaving r/2 log alpha."""
    _, m2, res2 = _moments(sigma, z2, rest, alpha, beta)
    logdet = np.sum(np.log(alpha + beta * sigma[:, None]), axis=0)
    return (
        0.5 * n * np.log(beta)
        + 0.5 * len(sigma) * np.log(alpha)
        - 0.5 * n * np.log(2 * np.pi)
        - 0.5 * beta * res2
        - 0.5 * alpha * m2
        - 0.5 * logdet
    )
