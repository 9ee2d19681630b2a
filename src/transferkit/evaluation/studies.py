"""What the studies measured, as typed records: ``compare`` (strategies x sizes x seeds),
``explore`` (the data through a pretrained model's eyes) and ``adapt`` (a domain gap and
accuracy on the target). The workflows fill them; the reports and the command line read
them; ``to_dict`` is what ``results.json`` / ``metrics.json`` hold."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.evaluation.transfer import TransferVerdict, transfer_verdict

BASELINE = "scratch"


@dataclass
class Cell:
    """One strategy at one training-set size, over the seeds."""

    strategy: str
    size: str  # examples per class, or "all"
    accuracies: list[float]
    seconds: list[float]
    mean: float = 0.0
    low: float = float("nan")
    high: float = float("nan")


@dataclass
class CompareResult:
    cells: list[Cell]
    verdicts: list[TransferVerdict]
    sizes: list[str]
    seeds: list[int]
    test_origin: str
    out: Path | None = None
    notes: list[str] = field(default_factory=list)
    all_per_class: float = 0.0  # mean training examples per class when using all of them
    majority_class: str = ""  # the test split's most frequent class
    majority_accuracy: float = float("nan")  # what always predicting it scores on test

    def cell(self, strategy: str, size: str) -> Cell:
        return next(c for c in self.cells if c.strategy == strategy and c.size == size)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cells": [asdict(c) for c in self.cells],
            "verdicts": [{**asdict(v), "sentence": v.sentence} for v in self.verdicts],
            "sizes": self.sizes,
            "seeds": self.seeds,
            "test": self.test_origin,
            "notes": self.notes,
            "all_per_class": self.all_per_class,
            "majority": {"class": self.majority_class, "accuracy": self.majority_accuracy},
        }


def constant_notes(result: CompareResult) -> list[str]:
    """A sentence for each cell that scored what always predicting the majority class
    scores: such a cell learned nothing, and a verdict against it says only that."""
    out = []
    for c in result.cells:
        if c.accuracies and max(c.accuracies) <= result.majority_accuracy + 1e-9:
            where = f"{c.size} per class" if c.size != "all" else "all the data"
            out.append(
                f"{c.strategy} at {where} scored {c.mean:.3f} in every seed, what always "
                f"predicting {result.majority_class!r} scores: it learned nothing in its budget."
            )
    return out


def verdicts(cells: list[Cell], sizes: list[str]) -> list[TransferVerdict]:
    """For each size, the best transfer strategy against scratch (paired by seed)."""
    out = []
    for size in sizes:
        at = {c.strategy: c for c in cells if c.size == size}
        if BASELINE not in at or len(at) < 2:
            continue
        best = max((c for s, c in at.items() if s != BASELINE), key=lambda c: c.mean)
        out.append(transfer_verdict(best.strategy, size, best.accuracies, at[BASELINE].accuracies))
    return out


@dataclass
class ExploreResult:
    n: int
    classes: list[str]
    method: str  # how the map was made
    points: np.ndarray
    labels: list[str]
    cluster_ari: float
    knn_accuracy: float
    domain_distance: float | None = None
    groups: list[str] | None = None
    out: Path | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "classes": self.classes,
            "map_method": self.method,
            "cluster_ari": self.cluster_ari,
            "knn_accuracy": self.knn_accuracy,
            "proxy_a_distance": self.domain_distance,
            "notes": self.notes,
        }
