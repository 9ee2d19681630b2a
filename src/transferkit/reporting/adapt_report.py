"""The report of ``adapt``: accuracy on the target, the domain gap before and after, a
map of both domains, then the usual fit report (on the source validation split)."""

from __future__ import annotations

from transferkit.evaluation.embedding import pca_2d
from transferkit.evaluation.results import AdaptMetrics
from transferkit.models.record import ModelRecord
from transferkit.reporting import plots
from transferkit.reporting.metrics import metrics_section
from transferkit.reporting.report import Report
from transferkit.reporting.sections import Section, Table


def adapt_report(report: Report, record: ModelRecord, adaptation: AdaptMetrics) -> Report:
    """``report`` (the source fit's) with the adaptation's sections in front."""
    report.title = f"Domain adaptation with {record.strategy.name}: {report.title}"
    first: list[Section] = []
    target = adaptation.target_metrics
    if target is not None:
        section = metrics_section("target", target, record.classes)
        section.verdict = (
            f"Accuracy {target.accuracy:.3f} on the target "
            "domain (its labels were read only for this evaluation)."
        )
        section.level = "good"
        first.append(section)
    before, after = adaptation.gap_before, adaptation.gap_after
    rows = [["pretrained features", before], ["after adaptation", after]]
    shrank = after < before
    figures = []
    if adaptation.map is not None:
        m = adaptation.map
        title = "Source and target after adaptation (PCA)"
        figures.append(plots.embedding_map(pca_2d(m.points), m.labels, title, groups=m.groups))
    first.append(
        Section(
            "Domain gap",
            table=Table(["representation", "proxy A-distance (0 = same, 2 = disjoint)"], rows),
            text="How well a linear classifier tells source from target apart (cross-validated).",
            verdict=f"The domain gap {'shrank' if shrank else 'did not shrink'}: "
            f"{before:.3f} before, {after:.3f} after.",
            level="good" if shrank else "warn",
            figures=figures,
        )
    )
    report.sections = first + report.sections
    return report
