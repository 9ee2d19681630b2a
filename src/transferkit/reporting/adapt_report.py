"""The report of ``adapt``: accuracy on the target, the domain gap before and after, a
map of both domains, then the usual fit report (on the source validation split)."""

from __future__ import annotations

from transferkit.evaluation.embedding import pca_2d
from transferkit.evaluation.results import AdaptMetrics
from transferkit.evaluation.verdicts import accuracy_verdict, adaptation_verdict
from transferkit.models.record import ModelRecord
from transferkit.reporting import plots
from transferkit.reporting.metrics import metrics_section
from transferkit.reporting.report import Report
from transferkit.reporting.sections import Section, Table

#: A proxy A-distance above this: a linear classifier tells the domains apart almost always.
NEAR_DISJOINT = 1.5
#: Changes smaller than this are within what resampling the examples moves it.
GAP_NOISE = 0.1


def _gap_verdict(before: float, after: float) -> tuple[str, str]:
    figures = f"{before:.3f} before, {after:.3f} after"
    if after >= NEAR_DISJOINT:
        return f"The domains stay nearly disjoint in the adapted features ({figures}).", "warn"
    if before - after >= GAP_NOISE:
        return f"The domain gap shrank: {figures}.", "good"
    return f"The domain gap did not clearly change: {figures}.", "info"


def _target_section(method: str, adaptation: AdaptMetrics, classes: list[str]) -> Section:
    target, baseline = adaptation.target_metrics, adaptation.baseline_metrics
    assert target is not None
    section = metrics_section("the target domain", target, classes)
    verdict = (
        adaptation_verdict(method, adaptation.difference)
        if baseline is not None
        else accuracy_verdict(target, "target")
    )
    section.verdict, section.level = verdict.sentence, verdict.level
    rows = [[method, target.accuracy, *target.accuracy_interval, target.macro_f1]]
    if baseline is not None:
        rows.append(
            [
                "source-only (same run)",
                baseline.accuracy,
                *baseline.accuracy_interval,
                baseline.macro_f1,
            ]
        )
    rows.append(
        [f"always predicting {target.majority_class!r}", target.majority_accuracy, None, None, None]
    )
    section.table = Table(["model", "target accuracy", "95% low", "95% high", "macro-F1"], rows)
    section.text = (
        f"{target.n} target examples; their labels were read only for this evaluation. "
        + section.text
    )
    return section


def adapt_report(report: Report, record: ModelRecord, adaptation: AdaptMetrics) -> Report:
    """``report`` (the source fit's) with the adaptation's sections in front."""
    method = record.strategy.name
    first: list[Section] = []
    target, baseline = adaptation.target_metrics, adaptation.baseline_metrics
    if target is None:
        report.title = f"Domain adaptation with {method}: {report.title} (no target labels)"
    else:
        against = f" (source-only {baseline.accuracy:.3f})" if baseline is not None else ""
        report.title = (
            f"Domain adaptation with {method}: target accuracy {target.accuracy:.3f}{against}"
        )
        first.append(_target_section(method, adaptation, record.classes))
    before, after = adaptation.gap_before, adaptation.gap_after
    rows = [["pretrained features", before], ["after adaptation", after]]
    verdict, level = _gap_verdict(before, after)
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
            verdict=verdict,
            level=level,
            figures=figures,
        )
    )
    report.sections = first + report.sections
    return report
