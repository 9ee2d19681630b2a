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
    #: per seed, which test examples it got right (same order in every cell), so a
    #: verdict can count the test split's own sampling error; not written to results.json
    correct: list[np.ndarray] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "correct"}


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
    class_shares: dict[str, float] = field(default_factory=dict)  # of the test split

    def cell(self, strategy: str, size: str) -> Cell:
        return next(c for c in self.cells if c.strategy == strategy and c.size == size)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cells": [c.to_dict() for c in self.cells],
            "verdicts": [{**asdict(v), "sentence": v.sentence} for v in self.verdicts],
            "sizes": self.sizes,
            "seeds": self.seeds,
            "test": self.test_origin,
            "notes": self.notes,
            "all_per_class": self.all_per_class,
            "majority": {"class": self.majority_class, "accuracy": self.majority_accuracy},
        }


def constant_notes(result: CompareResult) -> list[str]:
    """A sentence for each cell that scored, in every seed, what always predicting one
    class scores: such a cell learned nothing, and a verdict against it says only that."""
    out = []
    for c in result.cells:
        constant = next(
            (
                name
                for name, share in result.class_shares.items()
                if c.accuracies and all(abs(a - share) < 1e-9 for a in c.accuracies)
            ),
            None,
        )
        if constant is not None:
            where = f"{c.size} per class" if c.size != "all" else "all the data"
            out.append(
                f"{c.strategy} at {where} scored {c.mean:.3f} in every seed, what always "
                f"predicting {constant!r} scores: it learned nothing in its budget."
            )
    return out


def verdicts(cells: list[Cell], sizes: list[str], baseline: str = "") -> list[TransferVerdict]:
    """For each size, the best transfer strategy against scratch (paired by seed);
    ``baseline`` names scratch's model when it is not the pretrained one's architecture."""
    out = []
    for size in sizes:
        at = {c.strategy: c for c in cells if c.size == size}
        if BASELINE not in at or len(at) < 2:
            continue
        best = max((c for s, c in at.items() if s != BASELINE), key=lambda c: c.mean)
        base = at[BASELINE]
        correct = (best.correct, base.correct) if best.correct and base.correct else None
        out.append(
            transfer_verdict(
                best.strategy, size, best.accuracies, base.accuracies, baseline=baseline,
                correct=correct,
            )
        )  # fmt: skip
    return out


@dataclass
class ExploreResult:
    """What ``explore`` found.

    ``points``, ``labels`` and ``groups`` cover every point of the map: the explored data's
    ``n`` examples first, then those of the second data set, if any. ``clusters``,
    ``origins`` and ``inputs`` cover the explored data only. Without labels, ``labels``,
    ``cluster_ari`` and ``knn_accuracy`` are ``None`` and ``classes`` is empty.
    """

    n: int
    classes: list[str]
    method: str  # how the map was made: "UMAP", "t-SNE" or "PCA"
    points: np.ndarray
    labels: list[str] | None
    cluster_ari: float | None
    knn_accuracy: float | None
    domain_distance: float | None = None
    groups: list[str] | None = None
    out: Path | None = None
    notes: list[str] = field(default_factory=list)
    clusters: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    k: int = 0
    k_source: str = ""  # "given", "classes" (the number of labels) or "silhouette"
    silhouette: float | None = None  # of the clustering with ``k`` clusters
    silhouettes: dict[int, float] = field(default_factory=dict)  # of every k scanned
    origins: list[str] = field(default_factory=list)  # "ants/1.jpg", "line 3", "a.csv row 2"
    inputs: list[Any] = field(default_factory=list)  # texts, image paths or images
    modality: str = ""
    name: str = ""  # the data set's name (its file or folder)
    skipped: int = 0  # inputs left out as unreadable or empty

    @property
    def labelled(self) -> bool:
        return self.labels is not None

    @property
    def example_labels(self) -> list[str] | None:
        """The explored data's own labels (``labels`` also covers the second data set)."""
        return None if self.labels is None else self.labels[: self.n]

    def scan_ranking(self) -> list[tuple[int, float]]:
        """The k scanned with their silhouette, best first (ties to the smaller k)."""
        return sorted(self.silhouettes.items(), key=lambda kv: (-kv[1], kv[0]))

    def cluster_sizes(self) -> list[int]:
        return np.bincount(self.clusters, minlength=self.k).tolist() if self.k else []

    def to_dict(self) -> dict[str, Any]:
        ranked = self.scan_ranking()
        best = [{"k": k, "silhouette": s} for k, s in ranked[:2]]
        return {
            "n": self.n,
            "name": self.name,
            "modality": self.modality,
            "labelled": self.labelled,
            "classes": self.classes,
            "map_method": self.method,
            "cluster_ari": self.cluster_ari,
            "knn_accuracy": self.knn_accuracy,
            "proxy_a_distance": self.domain_distance,
            "clusters": {
                "k": self.k,
                "chosen_by": self.k_source,
                "silhouette": self.silhouette,
                "sizes": self.cluster_sizes(),
                "silhouette_by_k": {str(k): s for k, s in self.silhouettes.items()},
                "silhouette_best": best[0] if best else None,
                "silhouette_runner_up": best[1] if len(best) > 1 else None,
            },
            "skipped": self.skipped,
            "notes": self.notes,
        }
