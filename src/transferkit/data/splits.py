"""Seeded, stratified splitting and sampling: the same seed gives the same indices."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from transferkit.errors import DataError


def _by_class(labels: Sequence[str]) -> dict[str, np.ndarray]:
    arr = np.asarray(labels, dtype=object)
    return {c: np.flatnonzero(arr == c) for c in sorted(set(labels))}


def stratified_split(
    labels: Sequence[str], fraction: float, seed: int, where: str = "the training data"
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices into (kept, held out) with ``fraction`` of every class held out,
    at least one example of each class on both sides."""
    rng = np.random.default_rng(seed)
    keep, held = [], []
    for cls, idx in _by_class(labels).items():
        if len(idx) < 2:
            raise DataError(
                f"Class {cls!r} has only {len(idx)} example in {where}, too few to split off "
                "a validation set; add examples of it or provide a validation split."
            )
        perm = rng.permutation(idx)
        n_held = min(max(1, round(fraction * len(idx))), len(idx) - 1)
        held.append(perm[:n_held])
        keep.append(perm[n_held:])
    return np.sort(np.concatenate(keep)), np.sort(np.concatenate(held))


def stratified_sample(labels: Sequence[str], n: int, seed: int) -> np.ndarray:
    """At most ``n`` indices, class proportions kept (at least one per class)."""
    if n >= len(labels):
        return np.arange(len(labels))
    groups = _by_class(labels)
    rng = np.random.default_rng(seed)
    total = len(labels)
    quota = {c: max(1, int(np.floor(n * len(idx) / total))) for c, idx in groups.items()}
    # hand out what rounding left over to the largest remainders, deterministically
    remainders = sorted(groups, key=lambda c: -(n * len(groups[c]) / total - quota[c]))
    for c in remainders[: max(0, n - sum(quota.values()))]:
        quota[c] += 1
    picked = [rng.permutation(idx)[: min(quota[c], len(idx))] for c, idx in groups.items()]
    return np.sort(np.concatenate(picked))


def per_class_sample(labels: Sequence[str], shots: int, seed: int) -> np.ndarray:
    """``shots`` indices of every class; a class with fewer examples is a ``DataError``."""
    rng = np.random.default_rng(seed)
    picked = []
    for cls, idx in _by_class(labels).items():
        if len(idx) < shots:
            raise DataError(
                f"Class {cls!r} has {len(idx)} training examples, fewer than the {shots} per "
                f"class asked for; ask for at most {len(idx)}."
            )
        picked.append(rng.permutation(idx)[:shots])
    return np.sort(np.concatenate(picked))
