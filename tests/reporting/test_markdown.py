"""report.md: short, with the key numbers and tables, figures by caption only."""

from __future__ import annotations

from transferkit.reporting import Report, Section, Table
from transferkit.reporting.markdown import render_markdown_table


def test_markdown_has_title_verdicts_numbers_and_tables(
    report: Report, report_markdown: str
) -> None:
    md = report_markdown
    assert md.startswith("# Ants vs bees: fine-tuned MobileNetV2\n")
    assert "## Summary" in md
    assert "Transfer beats scratch by 0.21 (95% CI 0.17-0.25)" in md
    for section in report.sections:
        assert f"## {section.title}" in md
    assert "| Class | Precision | Recall | F1 | Support |" in md
    assert "|---|---:|---:|---:|---:|" in md
    assert "| fine-tune | 0.908 | 200 |" in md
    assert "153 examples. Accuracy 0.908, macro-F1 0.908, log loss 0.350." in md
    assert "| ants | 0.841 | 0.986 | 0.908 | 70 |" in md


def test_markdown_references_figures_by_caption_only(report_markdown: str) -> None:
    assert "data:image" not in report_markdown and "base64" not in report_markdown
    assert "*Figure 1: Confusion matrix (test)" in report_markdown
    assert "*Figure 7: " in report_markdown
    assert len(report_markdown) < 5000


def test_markdown_escapes_pipes_and_markup() -> None:
    table = Table(["Class", "n"], [["a|b <script>", 3]])
    assert "| a\\|b &lt;script&gt; | 3 |" in render_markdown_table(table)
    md = Report("<b>t</b>").add(Section("s", verdict="<i>v</i>", level="warn")).to_markdown()
    assert "<b>" not in md and "> **Warning:** &lt;i&gt;v&lt;/i&gt;" in md
