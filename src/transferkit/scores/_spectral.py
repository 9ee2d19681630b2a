"""Principal axes of a feature matrix from the smaller of its two Gram matrices."""

from __future__ import annotations

import numpy as np


def unit_scale(f: np.ndarray) -> np.ndarray:
    """f divided by its largest absolute entry, so that Gram matrices of scale-invariant
    scores neither overflow nor underflow (features of 1e200 or 1e-200 are legal)."""
    top = float(np.max(np.abs(f), initial=0.0))
    return f / top if top > 0 else f


def principal_coordinates(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues ``sigma`` [r] of F^T F and coordinates ``P = F V`` [n, r] of the examples
    on the corresponding unit eigenvectors V [d, r] (so ||P[:, i]||^2 = sigma[i]).

    Uses eigh of F^T F (d x d) when d <= n and of F F^T (n x n) otherwise, so the cost is
    O(n d min(n, d)) and nothing of size n x d beyond F itself is built. Only the numerical
    rank r is kept: smaller eigenvalues of a Gram matrix are rounding noise.
    """
    n, d = f.shape
    if d <= n:
        _, v = np.linalg.eigh(f.T @ f)
        coords = f @ v
        # Recomputed from the coordinates: for small eigenvalues this is far more accurate
        # than eigh's value, and keeps sigma consistent with coords.
        sigma = np.sum(coords**2, axis=0)
    else:
        sigma, u = np.linalg.eigh(f @ f.T)
        coords = u * np.sqrt(np.clip(sigma, 0.0, None))
    tol = max(n, d) * np.finfo(np.float64).eps * max(float(sigma.max(initial=0.0)), 0.0)
    keep = sigma > tol
    return sigma[keep], coords[:, keep]
