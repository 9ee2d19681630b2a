"""A ready-made section for one split's classification metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from transferkit.reporting.plots import confusion_matrix, per_class_bars
from transferkit.reporting.sections import Figure, Section, Table, format_number

__all__ = ["metrics_section"]


def _per_class_table(per_class: Mapping[str, Mapping[str, Any]], order: list[str]) -> Table:
    rows = [
        [name, *(per_class[name].get(k) for k in ("precision", "recall", "f1", "support"))]
        for name in order
    ]
    return Table(["Class", "Precision", "Recall", "F1", "Support"], rows)


def metrics_section(name: str, metrics: Mapping[str, Any], classes: Sequence[str]) -> Section:
    """Turn one split's metrics (as from ``classification_metrics``) into a Section.

    The section is titled "Metrics on {name}" and holds accuracy, macro-F1 and log loss as
    text, the per-class table, a confusion-matrix figure and a per-class bar figure. Missing
    entries are left out; set ``verdict``/``level`` on the result to add a verdict.
    """
    per_class = dict(metrics.get("per_class") or {})
    order = [c for c in classes if c in per_class] + [c for c in per_class if c not in classes]
    text = (
        f"{metrics.get('n', 'n/a')} examples. Accuracy {format_number(metrics.get('accuracy'))}, "
        f"macro-F1 {format_number(metrics.get('macro_f1'))}, "
        f"log loss {format_number(metrics.get('log_loss'))}."
    )
    figures: list[Figure] = []
    if metrics.get("confusion_matrix") is not None:
        figures.append(
            confusion_matrix(
                metrics["confusion_matrix"], list(classes), title=f"Confusion matrix ({name})"
            )
        )
    if per_class:
        ordered = {c: per_class[c] for c in order}
        figures.append(per_class_bars(ordered, title=f"Precision, recall and F1 ({name})"))
    table = _per_class_table(per_class, order) if per_class else None
    return Section(title=f"Metrics on {name}", text=text, table=table, figures=figures)
