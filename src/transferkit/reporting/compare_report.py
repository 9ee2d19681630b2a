"""The report of a comparison: data-efficiency curves, every cell with its spread, and
the verdict on transfer against training from scratch."""

from __future__ import annotations

from typing import Any

from transferkit.reporting import plots
from transferkit.reporting.report import Report
from transferkit.reporting.sections import Section, Table


def _curves(result: Any) -> dict[str, dict[str, list[float]]]:
    """Accuracy against examples per class; "all" sits at the data's mean class size and
    is labelled as such."""
    sizes = list(result.sizes)
    x = [result.all_per_class if s == "all" else float(s) for s in sizes]
    labels = [f"all (~{result.all_per_class:.0f})" if s == "all" else str(s) for s in sizes]
    out: dict[str, dict[str, list[float]]] = {}
    for strategy in dict.fromkeys(c.strategy for c in result.cells):
        cells = [result.cell(strategy, s) for s in sizes]
        out[strategy] = {
            "sizes": x,
            "labels": labels,
            "mean": [c.mean for c in cells],
            "low": [c.low for c in cells],
            "high": [c.high for c in cells],
        }
    return out


def compare_report(result: Any) -> Report:
    report = Report(
        "Does transfer help? Strategies across training-set sizes",
        f"test accuracy on {result.test_origin}; {len(result.seeds)} seeds per cell",
    )
    for v in result.verdicts:
        level = {"gain": "good", "negative": "bad"}.get(v.kind, "warn")
        report.add(
            Section(
                f"Verdict at {v.size} per class" if v.size != "all" else "Verdict on all data",
                verdict=v.sentence,
                level=level,
            )
        )
    figures = []
    if len(result.sizes) > 1:
        figures.append(
            plots.data_efficiency(
                _curves(result),
                baseline=result.majority_accuracy,
                baseline_label=f"always predicting {result.majority_class!r}",
            )
        )
    rows: list[list[Any]] = [
        [
            c.strategy,
            c.size,
            c.mean,
            c.low,
            c.high,
            ", ".join(f"{a:.3f}" for a in c.accuracies),
            sum(c.seconds) / len(c.seconds),
        ]
        for c in result.cells
    ]
    table = Table(
        ["strategy", "per class", "mean", "95% low", "95% high", "per seed", "s / run"], rows
    )
    text = (
        "Each cell is trained once per seed; the seed fixes the sampled examples, the "
        "validation split, initialisation and order. " + " ".join(result.notes)
    )
    report.add(
        Section("Test accuracy by strategy and size", text=text, table=table, figures=figures)
    )
    return report
