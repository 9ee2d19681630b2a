"""``compare``: several strategies, several training-set sizes, several seeds, one held-out
test split that no model selection touches — and a plain answer to "did transfer help?".

Every run is ``fit``'s prepare and train stages, then the test predictions: a study pays
for none of the calibration, familiarity, forgetting or reports it does not show. Runs
share the feature cache, so frozen-backbone strategies embed each example once for the
whole comparison.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.data import DataConfig, Splits, load_splits
from transferkit.data.memory import InMemory, given_data
from transferkit.errors import ConfigError, DataError
from transferkit.evaluation.statistics import mean_ci
from transferkit.evaluation.studies import Cell, CompareResult, constant_notes, verdicts
from transferkit.features import FeatureCache
from transferkit.models.artifact import write_atomically, write_json
from transferkit.progress import SILENT, Progress
from transferkit.strategies import STRATEGIES
from transferkit.workflows.assess import predict
from transferkit.workflows.common import accepts_xy, claims_output, feature_cache, output_path
from transferkit.workflows.fit import train
from transferkit.workflows.prepare import prepare


def _check_sizes(sizes: list[int | str], counts: Counter[str]) -> list[str]:
    smallest_class, smallest = min(counts.items(), key=lambda kv: kv[1])
    out = []
    for s in sizes:
        if str(s) == "all":
            out.append("all")
            continue
        try:
            n = int(s)
        except (TypeError, ValueError):
            raise ConfigError(
                f"--sizes {s!r} is not a number of examples per class; give whole numbers or "
                "'all', e.g. --sizes 4,16,all."
            ) from None
        if n > smallest:
            raise DataError(
                f"--sizes {n} is larger than the data holds: class {smallest_class!r} has "
                f"{smallest} training examples; use sizes up to {smallest}, or 'all'."
            )
        if n < 2:
            raise ConfigError(f"--sizes {n} is too small: every class needs at least 2 examples.")
        out.append(str(n))
    return out


@accepts_xy()
@claims_output
def compare(
    data: Any,
    model: str | None = None,
    strategies: tuple[str, ...] | list[str] = ("linear-probe", "finetune", "scratch"),
    sizes: tuple[int | str, ...] | list[int | str] = (4, 16, 64, "all"),
    seeds: int = 3,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    ci: bool = True,
    cache: bool | FeatureCache = True,
    engine: str = "auto",
    options: dict[str, dict[str, Any]] | None = None,
    scratch_model: str | None = None,
    progress: Progress = SILENT,
    **data_options: Any,
) -> CompareResult:
    """Fit every strategy at every size (examples per class, or "all") with ``seeds``
    seeds, and measure each on the data's test split.

    Args:
        options: per-strategy options, e.g. ``{"finetune": {"epochs": 5}}``.
        scratch_model: the architecture ``scratch`` trains, when the strongest baseline
            without transfer is not the pretrained model's own (``audio-cnn``, ``mfcc``).
        ci: report confidence intervals (needs at least 2 seeds).
        **data_options: data options as for ``fit`` (``test_split="val"``, columns...).
    """
    data = given_data(data, data_options)
    if ci and seeds < 2:
        raise ConfigError("A confidence interval needs at least 2 seeds; pass --seeds 2 or more.")
    _ = [STRATEGIES.get(name) for name in strategies]  # an unknown name fails before any work
    out_path = output_path(out, overwrite)
    splits = _with_test_split(data, data_options)
    counts = Counter(splits.train.labels or [])
    size_names = _check_sizes(list(sizes), counts)
    shared = feature_cache(cache, engine)
    baseline = _baseline_recipe(scratch_model)
    run = functools.partial(
        _cell, seeds=seeds, cache=shared, data_options=data_options, options=options,
        progress=progress,
    )  # fmt: skip
    cells = [
        run(data, scratch_model if strategy == "scratch" and scratch_model else model, strategy,
            size, recipe=baseline if strategy == "scratch" else strategy)
        for size in size_names
        for strategy in strategies
    ]  # fmt: skip
    result = _result(cells, size_names, seeds, splits, counts, scratch_model or "")
    if scratch_model and "scratch" in strategies:
        result.notes.append(_baseline_note(scratch_model, baseline))
    if out_path is not None:
        result.out = write_atomically(out_path, lambda tmp: _write(tmp, result), overwrite)
    return result


def _result(
    cells: list[Cell],
    sizes: list[str],
    seeds: int,
    splits: Splits,
    counts: Counter[str],
    baseline: str = "",
) -> CompareResult:
    """The cells with their verdicts, the test split's class shares and the notes."""
    result = CompareResult(
        cells,
        verdicts(cells, sizes, baseline) if seeds >= 2 else [],
        sizes,
        list(range(seeds)),
        splits.test_origin or "test",
        all_per_class=sum(counts.values()) / len(counts),
    )
    assert splits.test is not None  # _with_test_split checked
    test_counts = Counter(splits.test.labels or [])
    result.class_shares = {c: k / len(splits.test) for c, k in sorted(test_counts.items())}
    result.majority_class, top = test_counts.most_common(1)[0]
    result.majority_accuracy = top / len(splits.test)
    result.notes.extend(constant_notes(result))
    if seeds < 2:
        result.notes.append("One seed: no confidence intervals and no verdict on transfer.")
    return result


def _with_test_split(data: Any, data_options: dict[str, Any]) -> Splits:
    splits = load_splits(data, DataConfig.from_dict(data_options), 0, carve_val=False)
    if splits.test is None:
        where = (
            "give X_test and y_test"
            if isinstance(data, InMemory)
            else "add a test/ folder (or test table) or name one with --test-split"
        )
        raise DataError(
            f"{data} has no test split, and compare measures every run on one that no model "
            f"selection touches; {where}."
        )
    return splits


def _cell(
    data: str | Path,
    model: str | None,
    strategy: str,
    size: str,
    *,
    seeds: int,
    cache: FeatureCache,
    data_options: dict[str, Any],
    options: dict[str, dict[str, Any]] | None,
    progress: Progress,
    recipe: str | None = None,
) -> Cell:
    """One strategy at one size over the seeds: prepare, train, predict the test split;
    ``recipe`` is the strategy that runs (the scratch baseline's may differ)."""
    accs, secs, correct = [], [], []
    shots = None if size == "all" else int(size)
    recipe = recipe or strategy
    run_options = {**data_options, "shots": shots, **(options or {}).get(recipe, {})}
    for seed in range(seeds):
        start = time.perf_counter()
        prepared = prepare(data, model, recipe, seed, cache=cache, options=run_options)
        trained = train(prepared)
        test = prepared.splits.test
        assert test is not None  # compare checked that the data has one
        scored = predict(trained.model, trained.model.outputs(test), test, "test")
        accs.append(scored.metrics.accuracy)
        correct.append(np.argmax(scored.proba, axis=1) == np.asarray(scored.y))
        secs.append(time.perf_counter() - start)
        progress.note(
            f"{strategy} at {size} per class, seed {seed}: "
            f"test accuracy {accs[-1]:.3f} ({secs[-1]:.0f} s)"
        )
    mean, low, high = mean_ci(accs, bounds=(0.0, 1.0))  # one seed: no interval
    return Cell(strategy, size, accs, secs, mean, low, high, correct)


def _baseline_note(scratch_model: str, recipe: str) -> str:
    how = (
        "fits a logistic regression on its features (it has no weights to train)"
        if recipe == "linear-probe"
        else "trains it from random initialisation"
    )
    return (
        f"scratch is {scratch_model} (--scratch-model), which {how}: the baseline without "
        "transfer that every verdict is judged against."
    )


def _baseline_recipe(scratch_model: str | None) -> str:
    """How the no-transfer baseline trains: ``scratch``, or a logistic regression on the
    features of an architecture with nothing to train (``mfcc``)."""
    if scratch_model is None:
        return "scratch"
    from transferkit.backbones import create_backbone

    built = create_backbone(scratch_model, pretrained=False)
    return "scratch" if any(p.numel() for p in built.parameters()) else "linear-probe"


def _write(directory: Path, result: CompareResult) -> None:
    from transferkit.reporting.compare_report import compare_report

    write_json(directory / "results.json", result.to_dict())
    compare_report(result).write(directory)
