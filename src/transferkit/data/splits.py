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


def group_split(
    labels: Sequence[str],
    groups: Sequence[str],
    fraction: float,
    seed: int,
    where: str = "the training data",
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices into (kept, held out) by whole groups: groups in a seeded order are
    held out until about ``fraction`` of the examples are, at least one group and never
    all. Every class must stay on the kept side; groups are skipped that would take a
    class's last examples with them."""
    arr = np.asarray(groups, dtype=object)
    names = sorted(set(groups))
    if len(names) < 2:
        raise DataError(
            f"{where} holds a single group ({names[0] if names else 'none'}), so no group can "
            "be held out for validation; give examples of more groups or a validation split."
        )
    order = np.random.default_rng(seed).permutation(len(names))
    lab = np.asarray(labels, dtype=object)
    held = np.zeros(len(arr), dtype=bool)
    for j in order:
        if held.sum() >= fraction * len(arr) and held.any():
            break
        trial = held | (arr == names[j])
        if trial.all() or set(lab[~trial]) != set(lab):
            continue
        held = trial
    if not held.any():
        raise DataError(
            f"Every group of {where} holds the only examples of some class, so none can be "
            "held out for validation; give a validation split."
        )
    return np.flatnonzero(~held), np.flatnonzero(held)
