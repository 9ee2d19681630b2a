"""In-memory description of a labelled data set: raw inputs (image paths, texts), their
labels, where each came from, and what was skipped on the way in."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.errors import DataError


@dataclass
class Skipped:
    """An input left out under the ``on_bad_input="skip"`` policy, with the reason."""

    where: str
    reason: str


def handle_bad_input(
    policy: str, where: str, problem: str, fix: str, skipped: list[Skipped]
) -> None:
    """Apply the ``on_bad_input`` policy to one unusable input: stop with one sentence
    (``error``), or note it for the run summary (``skip``)."""
    if policy == "error":
        raise DataError(
            f"{where}: {problem}; {fix}, or pass --on-bad-input skip to leave such inputs out."
        )
    skipped.append(Skipped(where, problem))


@dataclass
class Dataset:
    """Raw inputs with optional string labels.

    ``inputs`` are paths (images) or strings (texts); ``origins`` name each example for
    messages ("train/ants/1.jpg", "train.tsv row 12"). ``tasks`` holds every label column
    of a multi-task data set by name (``labels`` is the main one). ``groups`` names the
    group of each example (a speaker, a patient, a site) when the data says it: splits
    carved from it never put one group on two sides.
    """

    inputs: list[Any]
    labels: list[str] | None
    modality: str
    origins: list[str]
    name: str = ""
    skipped: list[Skipped] = field(default_factory=list)
    tasks: dict[str, list[str]] = field(default_factory=dict)
    groups: list[str] | None = None

    def __post_init__(self) -> None:
        if self.labels is not None and len(self.labels) != len(self.inputs):
            raise ValueError("inputs and labels differ in length")
        if self.groups is not None and len(self.groups) != len(self.inputs):
            raise ValueError("inputs and groups differ in length")
        if len(self.origins) != len(self.inputs):
            raise ValueError("inputs and origins differ in length")

    def __len__(self) -> int:
        return len(self.inputs)

    def subset(self, indices: Any, name: str | None = None) -> Dataset:
        idx = [int(i) for i in indices]
        return Dataset(
            [self.inputs[i] for i in idx],
            [self.labels[i] for i in idx] if self.labels is not None else None,
            self.modality,
            [self.origins[i] for i in idx],
            name if name is not None else self.name,
            tasks={t: [v[i] for i in idx] for t, v in self.tasks.items()},
            groups=[self.groups[i] for i in idx] if self.groups is not None else None,
        )

    def class_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.labels or []).items()))

    def encode(self, classes: list[str], task: str | None = None) -> np.ndarray:
        """Labels (of ``task``, else the main ones) as indices into ``classes``; a label the
        classes lack is a ``DataError``."""
        labels = self.tasks.get(task) if task is not None else self.labels
        if labels is None:
            what = f"labels for task {task!r}" if task else "labels"
            raise DataError(f"{self.name or 'The data'} has no {what}; give labelled data.")
        index = {c: i for i, c in enumerate(classes)}
        out = np.empty(len(labels), dtype=np.int64)
        for i, label in enumerate(labels):
            if label not in index:
                raise DataError(
                    f"Label {label!r} of {self.origins[i]} is not one the model knows "
                    f"({', '.join(classes)}); remove those examples or train on them."
                )
            out[i] = index[label]
        return out


@dataclass
class Splits:
    """Train, validation and (optional) test sets, with the class list of training.

    The test set is reported on but never used to choose anything (hyper-parameters,
    epochs, checkpoints); ``val`` is where model selection happens. A strategy that selects
    by cross-validation within train (the logistic linear probe) gets no carved ``val``,
    so it learns from all of train.
    """

    train: Dataset
    val: Dataset | None  # None when the strategy selects by cross-validation on train
    test: Dataset | None
    classes: list[str]
    source: str
    val_origin: str | None  # "val/" or "20% of train/, stratified, seed 0"
    test_origin: str | None = None
    skipped: list[Skipped] = field(default_factory=list)
    train_origin: str = "train/"
    task_classes: dict[str, list[str]] = field(default_factory=dict)  # multi-task only

    @property
    def modality(self) -> str:
        return self.train.modality

    def summary(self) -> dict[str, Any]:
        def counts(ds: Dataset | None) -> dict[str, int] | None:
            return ds.class_counts() if ds is not None else None

        return {
            "source": self.source,
            "modality": self.modality,
            "classes": self.classes,
            "task_classes": self.task_classes or None,
            "train": counts(self.train),
            "val": counts(self.val),
            "test": counts(self.test),
            "val_origin": self.val_origin,
            "test_origin": self.test_origin,
            "skipped": [{"where": s.where, "reason": s.reason} for s in self.skipped],
        }


def describe_path(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
