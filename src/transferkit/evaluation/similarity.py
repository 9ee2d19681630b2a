"""How similar are two representations of the same examples?"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["linear_cka"]


def _centred_unit(a: np.ndarray) -> np.ndarray | None:
    """Column-centred copy scaled to unit Frobenius norm; None if the data are constant."""
    scale = np.abs(a).max()
    if scale == 0:
        return None
    a = a / scale  # entries in [-1, 1]: neither the mean nor the norm below can overflow
    a = a - a.mean(axis=0, keepdims=True)
    # Centring a constant column leaves rounding residue of a few ulps, not zeros.
    if np.abs(a).max() <= 64 * np.finfo(np.float64).eps:
        return None
    return a / np.linalg.norm(a)


def _paired(X: npt.ArrayLike, Y: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Two finite float64 representations ``[n, d]`` of the same ``n`` examples."""
    x = np.asarray(X, dtype=np.float64)
    y = np.asarray(Y, dtype=np.float64)
    x, y = (x[:, None] if x.ndim == 1 else x), (y[:, None] if y.ndim == 1 else y)
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"X and Y must be 2-D [n, d], got shapes {x.shape} and {y.shape}.")
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and Y must describe the same examples: got {x.shape[0]} and {y.shape[0]} rows."
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("X and Y must not contain NaN or infinite values.")
    return x, y


def linear_cka(X: npt.ArrayLike, Y: npt.ArrayLike) -> float:
    """Linear centred kernel alignment between two representations of the same examples.

    Kornblith, Norouzi, Lee, Hinton, "Similarity of Neural Network Representations
    Revisited", ICML 2019. With ``X`` and ``Y`` column-centred (each feature has
    mean 0 over the ``n`` examples):

        CKA(X, Y) = ||Y^T X||_F^2 / (||X^T X||_F * ||Y^T Y||_F)

    equivalently, with Gram matrices ``K = X X^T`` and ``L = Y Y^T`` of the centred data,
    ``<K, L>_F / (||K||_F ||L||_F)`` (the HSIC form ``tr(KHLH)`` with ``H = I - 11^T/n``).
    It lies in ``[0, 1]``, is 1 when ``Y`` is an orthogonal transform plus isotropic scaling
    (plus translation) of ``X``, and is invariant to those transforms of either side, but
    not to arbitrary invertible linear maps.

    Computed in float64 on copies scaled to unit Frobenius norm (CKA is scale-invariant,
    and this keeps squares of large activations finite); the feature-space form costs
    ``O(n (d1 + d2)^2)`` and the Gram form ``O(n^2 (d1 + d2))``, and the cheaper one is used,
    so ``d >> n`` (wide layers, few examples) is fine.

    Args:
        X: ``[n, d1]`` representation (rows are examples).
        Y: ``[n, d2]`` representation of the same examples in the same order.

    Returns:
        CKA in ``[0, 1]``; NaN when either representation is constant over the examples
        (CKA is undefined then).
    """
    x, y = _paired(X, Y)
    n, d1 = x.shape
    d2 = y.shape[1]
    if n < 2:
        return float("nan")
    xc = _centred_unit(x)
    yc = _centred_unit(y)
    if xc is None or yc is None:
        return float("nan")

    if n * n * (d1 + d2) < n * (d1 * d2 + d1 * d1 + d2 * d2):
        k = xc @ xc.T
        gram_l = yc @ yc.T
        cross = float(np.vdot(k, gram_l))
        norm_x = float(np.linalg.norm(k))
        norm_y = float(np.linalg.norm(gram_l))
    else:
        cross = float(np.linalg.norm(yc.T @ xc) ** 2)
        norm_x = float(np.linalg.norm(xc.T @ xc))
        norm_y = float(np.linalg.norm(yc.T @ yc))
    if norm_x == 0 or norm_y == 0:
        return float("nan")
    return float(np.clip(cross / (norm_x * norm_y), 0.0, 1.0))
