"""The report of a comparison: data-efficiency curves, every cell with its spread, and
the verdict on transfer against training from scratch."""

from __future__ import annotations

from typing import Any

from transferkit.reporting import plots
from transferkit.reporting.report import Report
from transferkit.reporting.sections import Section, Table


def _curves(result: Any) -> dict[str, dict[str, list[float]]]:
    sizes = [s for s in result.sizes if s != "all"]
    out: dict[str, dict[str, list[float]]] = {}
    for strategy in dict.fromkeys(c.strategy for c in result.cells):
        cells = [result.cell(strategy, s) for s in sizes]
        out[strategy] = {
            "sizes": [int(s) for s in sizes],
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
        level = "good" if v.kind == "gain" else "warn"
        report.add(
            Section(
                f"Verdict at {v.size} per class" if v.size != "all" else "Verdict on all data",
                verdict=v.sentence,
                level=level,
            )
        )
    figures = []
    if any(s != "all" for s in result.sizes):
        figures.append(plots.data_efficiency(_curves(result)))
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
