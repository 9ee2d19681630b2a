"""A ready-made section for one split's classification metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from transferkit.evaluation.results import SplitMetrics
from transferkit.reporting.plots import confusion_matrix, per_class_bars
from transferkit.reporting.sections import Figure, Section, Table, format_number

__all__ = ["metrics_section"]


def _per_class_table(per_class: dict[str, dict[str, Any]], order: list[str]) -> Table:
    rows = [
        [name, *(per_class[name].get(k) for k in ("precision", "recall", "f1", "support"))]
        for name in order
    ]
    return Table(["Class", "Precision", "Recall", "F1", "Support"], rows)


def metrics_section(name: str, metrics: SplitMetrics, classes: Sequence[str]) -> Section:
    """Turn one split's metrics (from ``classification_metrics``) into a Section.

    The section is titled "Metrics on {name}" and holds accuracy, macro-F1 and log loss as
    text, the per-class table, a confusion-matrix figure and a per-class bar figure; set
    ``verdict``/``level`` on the result to add a verdict.
    """
    per_class = {c: asdict(m) for c, m in metrics.per_class.items()}
    order = [c for c in classes if c in per_class] + [c for c in per_class if c not in classes]
    text = (
        f"{metrics.n} examples. Accuracy {format_number(metrics.accuracy)}, "
        f"macro-F1 {format_number(metrics.macro_f1)}, log loss {format_number(metrics.log_loss)}."
    )
    figures: list[Figure] = [
        confusion_matrix(
            metrics.confusion_matrix, list(classes), title=f"Confusion matrix ({name})"
        )
    ]
    if per_class:
        ordered = {c: per_class[c] for c in order}
        figures.append(per_class_bars(ordered, title=f"Precision, recall and F1 ({name})"))
    table = _per_class_table(per_class, order) if per_class else None
    return Section(title=f"Metrics on {name}", text=text, table=table, figures=figures)
