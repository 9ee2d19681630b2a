"""H-score and its shrinkage-based (Ledoit-Wolf) variant."""

from __future__ import annotations

import numpy as np

from transferkit.errors import ConfigError
from transferkit.scores._checks import check_features, encode_labels, one_hot
from transferkit.scores._spectral import principal_coordinates, unit_scale
from transferkit.scores.registry import register_score

DESCRIPTION = (
    "H-score with Ledoit-Wolf shrinkage (Bao et al., ICIP 2019; Ibrahim et al., ECML-PKDD 2022)."
)


@register_score("hscore", title="H-score", needs="features", description=DESCRIPTION)
def hscore(features: np.ndarray, labels: np.ndarray, shrinkage: bool | float = True) -> float:
    """H-score (Bao, Li, Huang, Zheng, "An Information-Theoretic Approach to Transferability
    in Task Transfer Learning", ICIP 2019), optionally shrinkage-based (Ibrahim, Ponomareva,
    Mazumder, "Newer is not always better: Rethinking transferability metrics, their
    peculiarities, stability and performance", ECML-PKDD 2022).

        H       = tr( cov(f)^+ cov(E[f | y]) )
        H_a     = tr( ((1 - a) cov(f) + a mu I)^{-1} (1 - a) cov(E[f | y]) ),  mu = tr cov(f) / d

    with f the centred features, E[f | y] the per-example class-mean vector, and both
    covariances normalised by n. In the principal axes of f (variances l_i, class-mean
    variances b_i) this is sum_i (1 - a) b_i / ((1 - a) l_i + a mu), so it lies in
    [0, C - 1]. Without shrinkage and with n <= d it is always exactly C - 1, whatever the
    features; shrinkage is what makes it informative there.

    Args:
        features: [n, d] features of the target examples.
        labels: [n] class labels (at least two classes).
        shrinkage: True for the Ledoit-Wolf coefficient a, a float in [0, 1] for a fixed a,
            False for the plain H-score with a pseudo-inverse.

    Returns:
        The H-score (higher is better).
    """
    f = check_features(features)
    codes, num_classes = encode_labels(labels, len(f))
    f = unit_scale(f - f.mean(axis=0))
    sigma, coords = principal_coordinates(f)
    n, d = f.shape
    a = _coefficient(f, sigma, shrinkage)
    counts = np.bincount(codes, minlength=num_classes)
    class_means = one_hot(codes, num_classes).T @ coords / counts[:, None]  # [C, r]
    between = counts @ class_means**2 / n  # [r]
    variance = (1 - a) * sigma / n + a * np.sum(sigma) / (n * d)
    return float((1 - a) * np.sum(between[variance > 0] / variance[variance > 0]))


def _coefficient(f: np.ndarray, sigma: np.ndarray, shrinkage: bool | float) -> float:
    if isinstance(shrinkage, bool | np.bool_):
        return ledoit_wolf_shrinkage(f, sigma) if shrinkage else 0.0
    if not 0.0 <= float(shrinkage) <= 1.0:
        raise ConfigError(
            f"The H-score shrinkage must be True, False or a number in [0, 1], got {shrinkage!r}."
        )
    return float(shrinkage)


def ledoit_wolf_shrinkage(f: np.ndarray, sigma: np.ndarray | None = None) -> float:
    """Ledoit-Wolf (J. Multivariate Anal., 2004) shrinkage coefficient of centred f [n, d]
    towards mu I, from the eigenvalues ``sigma`` of f^T f without forming any d x d matrix:

        S = f^T f / n,  mu = tr S / d,  delta = ||S - mu I||_F^2 / d,
        b = (mean_i ||x_i x_i^T||_F^2 - ||S||_F^2) / (n d),   a = min(b, delta) / delta.
    """
    n, d = f.shape
    if sigma is None:
        sigma = principal_coordinates(f)[0]
    trace = np.sum(sigma) / n
    frob2 = np.sum(sigma**2) / n**2  # ||S||_F^2 = sum of squared eigenvalues
    delta = (frob2 - trace**2 / d) / d
    if delta <= 0:  # S is already a multiple of I: shrinking changes nothing
        return 0.0
    spread = (np.mean(np.sum(f**2, axis=1) ** 2) - frob2) / (n * d)
    return float(min(max(spread, 0.0), delta) / delta)
