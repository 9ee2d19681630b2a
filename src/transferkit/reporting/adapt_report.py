"""The report of ``adapt``: accuracy on the target, the domain gap before and after, a
map of both domains, then the usual fit report (on the source validation split)."""

from __future__ import annotations

from typing import Any

import numpy as np

from transferkit.reporting import plots
from transferkit.reporting.fit_report import pca_2d
from transferkit.reporting.metrics import metrics_section
from transferkit.reporting.sections import Section, Table


def adapt_report(result: Any, points: np.ndarray, labels: list[str], groups: list[str]) -> Any:
    from transferkit.api import fit_report_of

    report = fit_report_of(result.fit)
    method = result.fit.model.record["strategy"]["name"]
    report.title = f"Domain adaptation with {method}: {report.title}"
    first: list[Section] = []
    if result.target_metrics is not None:
        section = metrics_section("target", result.target_metrics, result.model.classes_)
        section.verdict = (
            f"Accuracy {result.target_metrics['accuracy']:.3f} on the target "
            "domain (its labels were read only for this evaluation)."
        )
        section.level = "good"
        first.append(section)
    rows = [["pretrained features", result.gap_before], ["after adaptation", result.gap_after]]
    shrank = result.gap_after < result.gap_before
    first.append(
        Section(
            "Domain gap",
            table=Table(["representation", "proxy A-distance (0 = same, 2 = disjoint)"], rows),
            text="How well a linear classifier tells source from target apart (cross-validated).",
            verdict=f"The domain gap {'shrank' if shrank else 'did not shrink'}: "
            f"{result.gap_before:.3f} before, {result.gap_after:.3f} after.",
            level="good" if shrank else "warn",
            figures=[
                plots.embedding_map(
                    pca_2d(points),
                    labels,
                    "Source and target after adaptation (PCA)",
                    groups=groups,
                )
            ],
        )
    )
    report.sections = first + report.sections
    return report
