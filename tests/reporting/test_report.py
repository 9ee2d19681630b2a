"""Report.write and the metrics section."""

from __future__ import annotations

from pathlib import Path

from tests.reporting import helpers as h
from transferkit.reporting import Report, Section, Table, metrics_section

SPEC_METRICS = {
    "n": 153,
    "accuracy": 0.908,
    "macro_f1": 0.9077,
    "log_loss": 0.42,
    "per_class": {
        "ants": {"precision": 0.84, "recall": 0.98, "f1": 0.91, "support": 70},
        "bees": {"precision": 0.986, "recall": 0.843, "f1": 0.909, "support": 83},
    },
    "confusion_matrix": [[69, 1], [13, 70]],
}


def test_write_creates_both_files(tmp_path: Path) -> None:
    report = Report("Small", "one section").add(Section("Only", text="Hello.", verdict="Fine"))
    html_path, md_path = report.write(tmp_path / "new" / "dir")
    assert (html_path.name, md_path.name) == ("report.html", "report.md")
    assert html_path.read_text(encoding="utf-8") == report.to_html()
    assert md_path.read_text(encoding="utf-8") == report.to_markdown()
    assert report.write(tmp_path / "new" / "dir") == (html_path, md_path)  # overwrites


def test_metrics_section_from_a_metrics_dict() -> None:
    section = metrics_section("test", SPEC_METRICS, ["ants", "bees"])
    assert section.title == "Metrics on test"
    assert "153 examples" in section.text
    assert "Accuracy 0.908" in section.text and "macro-F1 0.908" in section.text
    assert "log loss 0.420" in section.text
    assert isinstance(section.table, Table)
    assert section.table.header == ["Class", "Precision", "Recall", "F1", "Support"]
    assert [row[0] for row in section.table.rows] == ["ants", "bees"]
    assert section.table.rows[0][1:] == [0.84, 0.98, 0.91, 70]
    assert len(section.figures) == 2
    for figure in section.figures:
        h.assert_png(figure)


def test_metrics_section_with_missing_parts() -> None:
    section = metrics_section("val", {"n": 0, "accuracy": float("nan")}, ["a", "b"])
    assert "Accuracy n/a" in section.text and "macro-F1 n/a" in section.text
    assert section.table is None and section.figures == []
