"""``compare``: several strategies, several training-set sizes, several seeds, one held-out
test split that no model selection touches — and a plain answer to "did transfer help?".

Every run is an ordinary ``fit``; runs share the feature cache, so frozen-backbone
strategies embed each image once for the whole comparison.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from transferkit.api import fit
from transferkit.data import DataConfig, load_splits
from transferkit.errors import ConfigError, DataError
from transferkit.evaluation.statistics import mean_ci
from transferkit.evaluation.transfer import TransferVerdict, transfer_verdict
from transferkit.features import FeatureCache
from transferkit.models.artifact import check_writable, write_atomically, write_json
from transferkit.progress import SILENT, Progress
from transferkit.strategies import STRATEGIES

BASELINE = "scratch"


@dataclass
class Cell:
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
        }


def _check_sizes(sizes: list[int | str], counts: Counter[str]) -> list[str]:
    smallest_class, smallest = min(counts.items(), key=lambda kv: kv[1])
    out = []
    for s in sizes:
        if str(s) == "all":
            out.append("all")
            continue
        n = int(s)
        if n > smallest:
            raise DataError(
                f"--sizes {n} is larger than the data holds: class {smallest_class!r} has "
                f"{smallest} training examples; use sizes up to {smallest}, or 'all'."
            )
        if n < 2:
            raise ConfigError(f"--sizes {n} is too small: every class needs at least 2 examples.")
        out.append(str(n))
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


def compare(
    data: str | Path,
    model: str | None = None,
    strategies: tuple[str, ...] | list[str] = ("linear-probe", "finetune", "scratch"),
    sizes: tuple[int | str, ...] | list[int | str] = (4, 16, 64, "all"),
    seeds: int = 3,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    ci: bool = True,
    cache: bool | FeatureCache = True,
    options: dict[str, dict[str, Any]] | None = None,
    progress: Progress = SILENT,
    **data_options: Any,
) -> CompareResult:
    """Fit every strategy at every size (examples per class, or "all") with ``seeds``
    seeds, and measure each on the data's test split.

    Args:
        options: per-strategy options, e.g. ``{"finetune": {"epochs": 5}}``.
        ci: report confidence intervals (needs at least 2 seeds).
        **data_options: data options as for ``fit`` (``test_split="val"``, columns...).
    """
    if ci and seeds < 2:
        raise ConfigError("A confidence interval needs at least 2 seeds; pass --seeds 2 or more.")
    for name in strategies:
        STRATEGIES.get(name)
    out_path = Path(out).expanduser() if out is not None else None
    if out_path is not None:
        check_writable(out_path, overwrite)
    splits = load_splits(data, DataConfig.from_dict(data_options), 0, carve_val=False)
    if splits.test is None:
        raise DataError(
            f"{data} has no test split, and compare measures every run on one that no model "
            "selection touches; add a test/ folder (or test table) or name one with --test-split."
        )
    size_names = _check_sizes(list(sizes), Counter(splits.train.labels or []))
    feature_cache = cache if isinstance(cache, FeatureCache) else FeatureCache(enabled=bool(cache))
    cells = []
    for size in size_names:
        for strategy in strategies:
            accs, secs = [], []
            for seed in range(seeds):
                start = time.perf_counter()
                shots = None if size == "all" else int(size)
                r = fit(
                    data,
                    model,
                    strategy,
                    seed=seed,
                    shots=shots,
                    cache=feature_cache,
                    **data_options,
                    **(options or {}).get(strategy, {}),
                )
                accs.append(r.metrics["test"]["accuracy"])
                secs.append(time.perf_counter() - start)
                progress.note(
                    f"{strategy} at {size} per class, seed {seed}: "
                    f"test accuracy {accs[-1]:.3f} ({secs[-1]:.0f} s)"
                )
            mean, low, high = mean_ci(accs, bounds=(0.0, 1.0))  # one seed: no interval
            cells.append(Cell(strategy, size, accs, secs, mean, low, high))
    judged = verdicts(cells, size_names) if seeds >= 2 else []
    result = CompareResult(
        cells, judged, size_names, list(range(seeds)), splits.test_origin or "test"
    )
    if seeds < 2:
        result.notes.append("One seed: no confidence intervals and no verdict on transfer.")
    counts = Counter(splits.train.labels or [])
    result.all_per_class = sum(counts.values()) / len(counts)
    if out_path is not None:
        result.out = write_atomically(out_path, lambda tmp: _write(tmp, result), overwrite)
    return result


def _write(directory: Path, result: CompareResult) -> None:
    from transferkit.reporting.compare_report import compare_report

    write_json(directory / "results.json", result.to_dict())
    compare_report(result).write(directory)
