"""The report of ``explore``: the embedding map and what it says about the data."""

from __future__ import annotations

from typing import Any

from transferkit.reporting import plots
from transferkit.reporting.report import Report
from transferkit.reporting.sections import Section, Table


def explore_report(result: Any, model: str, data: str, second: str | None) -> Report:
    report = Report(
        f"{data} through the eyes of {model}",
        f"{result.n} examples, {len(result.classes)} classes, map by {result.method}",
    )
    rows: list[list[Any]] = [
        ["nearest-neighbour accuracy (5-NN, cross-validated)", result.knn_accuracy],
        ["k-means clusters against the labels (adjusted Rand index)", result.cluster_ari],
    ]
    if result.domain_distance is not None:
        rows.append(
            [
                f"domain separability of {data} and {second} (proxy A-distance, 0-2)",
                result.domain_distance,
            ]
        )
    verdict = (
        f"Nearest neighbours in the pretrained feature space get {result.knn_accuracy:.1%} "
        "of labels right before any training."
    )
    report.add(
        Section(
            "What the pretrained features already know",
            table=Table(["measure", "value"], rows),
            verdict=verdict,
            level="good" if result.knn_accuracy > 0.8 else "info",
            text="High neighbour accuracy and cluster agreement mean a linear probe "
            "will likely do well; low values suggest fine-tuning, or another "
            "backbone (see `transferkit rank`).",
        )
    )
    figure = plots.embedding_map(
        result.points, result.labels, f"Embedding map ({result.method})", groups=result.groups
    )
    text = "Each point is one example; colours are labels" + (
        ", marker shapes the two data sets." if result.groups else "."
    )
    report.add(Section("Embedding map", text=text, figures=[figure]))
    return report
