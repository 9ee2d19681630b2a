"""Linear CKA against the HSIC definition with explicit centring matrices, and the
invariances Kornblith et al. (2019) prove for it."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit.evaluation.similarity import linear_cka


def cka_reference(x: np.ndarray, y: np.ndarray) -> float:
    """tr(K H L H) / sqrt(tr(K H K H) tr(L H L H)) with H = I - 11^T / n, K = XX^T, L = YY^T."""
    n = x.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    k, gram_l = x @ x.T, y @ y.T

    def hsic(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.trace(a @ h @ b @ h))

    return hsic(k, gram_l) / np.sqrt(hsic(k, k) * hsic(gram_l, gram_l))


def random_orthogonal(d: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


@pytest.mark.parametrize(
    ("n", "d1", "d2"),
    [(20, 5, 7), (12, 300, 200), (50, 3, 400), (8, 1, 2)],  # feature form, Gram form, mixed
)
def test_matches_the_hsic_definition(n: int, d1: int, d2: int) -> None:
    rng = np.random.default_rng(n + d1 + d2)
    x = rng.normal(size=(n, d1)) + 3.0
    y = x[:, :1] @ rng.normal(size=(1, d2)) + rng.normal(size=(n, d2))  # related to x
    assert linear_cka(x, y) == pytest.approx(cka_reference(x, y), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("d", [6, 120])  # d < n and d > n (Gram form)
def test_one_under_rotation_isotropic_scaling_and_translation(d: int) -> None:
    rng = np.random.default_rng(d)
    x = rng.normal(size=(40, d))
    z = 7.5 * x @ random_orthogonal(d, rng) + rng.normal(size=d) * 100
    assert linear_cka(x, z) == pytest.approx(1.0, abs=1e-10)
    assert linear_cka(x, x) == pytest.approx(1.0, abs=1e-12)
    # ...and invariant to the same transforms when comparing with something else.
    y = np.tanh(x[:, :3] @ rng.normal(size=(3, 5))) + 0.5 * rng.normal(size=(40, 5))
    assert linear_cka(z, y) == pytest.approx(linear_cka(x, y), rel=1e-9)


def test_not_invariant_to_anisotropic_scaling() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 10))
    stretched = x * np.r_[100.0, np.ones(9)]
    assert linear_cka(x, stretched) < 0.5


def test_unrelated_features_score_low_and_related_ones_high() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, 10))
    unrelated = linear_cka(x, rng.normal(size=(500, 10)))
    noisy_copy = linear_cka(x, x @ rng.normal(size=(10, 10)) + 0.3 * rng.normal(size=(500, 10)))
    assert unrelated < 0.1
    assert noisy_copy > 0.5 > unrelated


def test_symmetric_bounded_and_scale_safe() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(30, 4)), rng.normal(size=(30, 9))
    value = linear_cka(x, y)
    assert linear_cka(y, x) == pytest.approx(value, rel=1e-12)
    assert 0.0 <= value <= 1.0
    # Squares of 1e200 overflow float64; the result must not notice the scale.
    assert linear_cka(x * 1e200, y * 1e-200) == pytest.approx(value, rel=1e-9)
    assert linear_cka(x.astype(np.float32), y) == pytest.approx(value, rel=1e-6)


def test_constant_representation_is_nan_and_bad_shapes_raise() -> None:
    x = np.random.default_rng(4).normal(size=(10, 3))
    assert np.isnan(linear_cka(x, np.full((10, 2), 0.1)))
    assert np.isnan(linear_cka(x[:1], x[:1]))
    with pytest.raises(ValueError, match="same examples"):
        linear_cka(x, x[:9])
    with pytest.raises(ValueError, match="NaN"):
        linear_cka(x, np.full((10, 2), np.nan))
