"""Report.write and the metrics section."""

from __future__ import annotations

from pathlib import Path

from tests.reporting import helpers as h
from transferkit.reporting import Report, Section, Table, metrics_section

# 153 test photos: 69 of 70 ants and 70 of 83 bees right
SPEC_MATRIX = [[69, 1], [13, 70]]


def test_write_creates_both_files(tmp_path: Path) -> None:
    report = Report("Small", "one section").add(Section("Only", text="Hello.", verdict="Fine"))
    html_path, md_path = report.write(tmp_path / "new" / "dir")
    assert (html_path.name, md_path.name) == ("report.html", "report.md")
    assert html_path.read_text(encoding="utf-8") == report.to_html()
    assert md_path.read_text(encoding="utf-8") == report.to_markdown()
    assert report.write(tmp_path / "new" / "dir") == (html_path, md_path)  # overwrites


def test_metrics_section_from_real_metrics() -> None:
    section = metrics_section(
        "test", h.metrics(["ants", "bees"], matrix=SPEC_MATRIX), ["ants", "bees"]
    )
    assert section.title == "Metrics on test"
    assert "153 examples" in section.text
    assert "Accuracy 0.908" in section.text and "macro-F1 0.908" in section.text
    assert "log loss 0.350" in section.text  # -log 0.8 when right, -log 0.2 when wrong
    assert isinstance(section.table, Table)
    assert section.table.header == ["Class", "Precision", "Recall", "F1", "Support"]
    assert [row[0] for row in section.table.rows] == ["ants", "bees"]
    precision, recall, f1, support = section.table.rows[0][1:]
    assert round(f1, 3) == 0.908
    assert (round(precision, 3), round(recall, 3), support) == (0.841, 0.986, 70)
    assert len(section.figures) == 2
    for figure in section.figures:
        h.assert_png(figure)


def test_metrics_section_of_an_empty_split() -> None:
    section = metrics_section("val", h.metrics(["a", "b"], matrix=[[0, 0], [0, 0]]), ["a", "b"])
    assert "0 examples" in section.text and "Accuracy n/a" in section.text
    assert "macro-F1 n/a" in section.text
