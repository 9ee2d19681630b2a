"""Reports a user opens to judge a model: a self-contained ``report.html`` and a short
``report.md``.

    >>> from transferkit.reporting import Report, Section, metrics_section, plots
    >>> report = Report("Ants vs bees", "MobileNetV2 fine-tuned on 244 photos")
    >>> report.add(metrics_section("test", metrics, classes))
    >>> report.add(Section("Training", figures=[plots.learning_curves(history)]))
    >>> report.write(Path("runs/demo"))  # (report.html, report.md)

Figures are drawn with matplotlib's Agg canvas directly (never pyplot, never a global
backend switch) and embedded as PNG ``data:`` URIs, so the HTML opens offline as one file.
"""

from transferkit.reporting import plots
from transferkit.reporting.metrics import metrics_section
from transferkit.reporting.report import Report
from transferkit.reporting.sections import Figure, Section, Table

__all__ = ["Figure", "Report", "Section", "Table", "metrics_section", "plots"]
