"""The HTML report is one self-contained, escaped page with every section in it."""

from __future__ import annotations

import re

import pytest

from tests.reporting import helpers as h
from transferkit.reporting import Report, Section, Table, metrics_section
from transferkit.reporting.html import render_table

EVIL = "<script>alert(1)</script>"


def test_html_is_self_contained(report_html: str) -> None:
    assert "http://" not in report_html and "https://" not in report_html
    assert 'src="file' not in report_html and "<link" not in report_html
    sources = re.findall(r'\bsrc="([^"]*)"', report_html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "url(" not in report_html  # no fonts or images pulled in by the stylesheet
    assert report_html.count("<style>") == 1 and report_html.count("<script>") == 1


def test_html_has_every_title_verdict_and_figure(report: Report, report_html: str) -> None:
    assert "<h1>Ants vs bees: fine-tuned MobileNetV2</h1>" in report_html
    assert "244 training photos" in report_html
    for section in report.sections:
        assert f"<h2>{section.title}</h2>" in report_html
        if section.verdict:
            assert f'<div class="verdict {section.level}">' in report_html
            assert section.verdict in report_html
    n_figures = sum(len(s.figures) for s in report.sections)
    assert report_html.count("<img ") == n_figures == 7
    assert f"Figure {n_figures}.</b>" in report_html
    assert 'class="summary"' in report_html and 'href="#section-0"' in report_html
    assert "imagesOk" in report_html  # the load check used by render_check


def test_html_escapes_class_names_file_names_and_texts() -> None:
    classes = ["ants", EVIL]
    metrics = h.metrics(classes)
    report = Report(f"Run {EVIL}", subtitle='photos from "a&b/<x>.jpg"')
    section = metrics_section(EVIL, metrics, classes)
    section.text += f"\n\nWorst file: {EVIL}.png"
    section.verdict = EVIL
    report.add(section)
    page = report.to_html()
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a&amp;b/&lt;x&gt;.jpg" in page
    assert page.count("<script>") == 1  # only the page's own image check


def test_text_paragraphs_and_line_breaks() -> None:
    page = Report("t").add(Section("S", text="First.\nSame paragraph.\n\n\nSecond.")).to_html()
    assert "<p>First.<br>Same paragraph.</p>" in page and "<p>Second.</p>" in page


def test_table_formats_numbers_and_aligns_them() -> None:
    table = Table(["Class", "F1", "Support"], [["ants", 0.90811, 70], ["bees", float("nan"), 3]])
    html = render_table(table)
    assert "0.908" in html and "0.90811" not in html
    assert '<td class="num">70</td>' in html and '<th class="num">F1</th>' in html
    assert "<td>ants</td>" in html and "–" in html


def test_contents_box_without_verdicts_and_an_empty_report() -> None:
    page = Report("t").add(Section("Alpha")).add(Section("Beta")).to_html()
    assert "<h2>Contents</h2>" in page and "Summary" not in page
    assert "<h1>t</h1>" in Report("t").to_html()


def test_invalid_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="level"):
        Section("x", level="terrible")  # type: ignore[arg-type]
    section = Section("x")
    with pytest.raises(ValueError, match="level"):  # builders set the level afterwards
        section.level = "terrible"  # type: ignore[assignment]
    assert section.level == "info"
    with pytest.raises(ValueError, match="row 0"):
        Table(["a", "b"], [["only one"]])
    with pytest.raises(TypeError):
        Report("t").add("not a section")  # type: ignore[arg-type]


def test_a_bad_verdict_renders_in_html_and_markdown() -> None:
    """Verdicts of ``transferkit.evaluation.verdicts`` can be "bad" (worse than always
    predicting the majority class); the builders hand that level to a section as it is."""
    section = Section("Headline", verdict="Accuracy 0.40: worse than always predicting 'ants'")
    section.level = "bad"
    report = Report("t").add(section).add(Section("Other", verdict="fine", level="good"))
    page = report.to_html()
    assert '<div class="verdict bad">' in page and '<span class="badge bad">Problem</span>' in page
    assert ".verdict.bad" in page and ".badge.bad" in page  # styled, not a plain box
    assert "> **Problem:** Accuracy 0.40" in report.to_markdown()
    assert "**Problem** — Headline" in report.to_markdown()
