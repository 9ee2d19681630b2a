"""Input checks shared by the scores: each failure is a ``DataError`` of one sentence."""

from __future__ import annotations

import numpy as np

from transferkit.errors import DataError


def check_features(features: object, name: str = "features") -> np.ndarray:
    """Return ``features`` as a finite float64 array of shape [n, d]."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[1] == 0:
        raise DataError(
            f"The {name} must be a 2-D array of shape (examples, dimensions), got shape "
            f"{f.shape}; flatten each example's {name} into one row."
        )
    bad = int(np.size(f) - np.count_nonzero(np.isfinite(f)))
    if bad:
        raise DataError(
            f"The {name} contain {bad} NaN or infinite values; fix or drop the affected "
            "examples before scoring."
        )
    return f


def check_probs(source_probs: object) -> np.ndarray:
    """Return source-head probabilities [n, z] as float64, rows renormalised to sum to 1."""
    p = check_features(source_probs, name="source predictions")
    sums = p.sum(axis=1)
    # Float32 softmax outputs over many classes drift from 1 by ~1e-5; logits are far off.
    if np.any(p < 0) or not np.allclose(sums, 1.0, atol=1e-3):
        raise DataError(
            "The source predictions must be probabilities (non-negative rows that sum to 1); "
            "apply a softmax to the source classifier's logits first."
        )
    return p / sums[:, None]


def encode_labels(labels: object, n: int | None = None) -> tuple[np.ndarray, int]:
    """Codes 0..C-1 [n] for any hashable labels, checked to be usable for a score."""
    y = np.asarray(labels)
    if y.ndim != 1:
        raise DataError(
            f"The labels must be a 1-D array with one label per example, got shape {y.shape}; "
            "flatten them."
        )
    if n is not None and len(y) != n:
        raise DataError(
            f"There are {n} examples but {len(y)} labels; pass exactly one label per example."
        )
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise DataError(
            "The labels contain NaN or non-integer numbers; pass class indices or class names."
        )
    classes, codes = np.unique(y, return_inverse=True)
    if len(classes) == 0:
        raise DataError("There are no labelled examples to score; pass at least two classes.")
    if len(classes) == 1:
        raise DataError(
            f"All {len(y)} labels are the same class ({classes[0].item()!r}), so no score can "
            "tell classes apart; pass examples of at least two classes."
        )
    if len(y) <= len(classes):
        raise DataError(
            f"There are only {len(y)} examples for {len(classes)} classes, so no class has a "
            "second example; label more examples per class."
        )
    return codes.astype(np.intp), len(classes)


def one_hot(codes: np.ndarray, num_classes: int) -> np.ndarray:
    """[n] int codes -> [n, C] float64 indicator matrix."""
    out = np.zeros((len(codes), num_classes))
    out[np.arange(len(codes)), codes] = 1.0
    return out
