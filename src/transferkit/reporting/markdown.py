"""Markdown rendering: a short text version of a report (figures by caption only).

Markdown viewers pass raw HTML through, so user-provided strings are HTML-escaped, and
``|`` is escaped in table cells.
"""

from __future__ import annotations

from html import escape

from transferkit.reporting.sections import (
    LEVEL_NAMES,
    Section,
    Table,
    format_cell,
    is_number,
    numbered,
)

__all__ = ["render_markdown", "render_markdown_table"]


def _text(value: str) -> str:
    return escape(value, quote=False)


def _cell(value: str) -> str:
    return _text(value).replace("|", "\\|").replace("\n", " ")


def render_markdown_table(table: Table) -> str:
    """A pipe table; numeric columns right-aligned, floats with 3 decimals."""
    numeric = [
        bool(table.rows) and all(is_number(row[j]) or row[j] is None for row in table.rows)
        for j in range(len(table.header))
    ]
    lines = [f"*{_text(table.caption)}*", ""] if table.caption else []
    lines.append("| " + " | ".join(_cell(str(h)) for h in table.header) + " |")
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_cell(format_cell(c)) for c in row) + " |")
    return "\n".join(lines) + "\n"


def _section(section: Section, first_figure: int) -> str:
    parts = [f"## {_text(section.title)}\n"]
    if section.verdict:
        parts.append(f"> **{LEVEL_NAMES[section.level]}:** {_text(section.verdict)}\n")
    parts.extend(_text(p) + "\n" for p in section.paragraphs())
    if section.table is not None:
        parts.append(render_markdown_table(section.table))
    for k, figure in enumerate(section.figures):
        parts.append(f"*Figure {first_figure + k}: {_text(figure.caption)}*\n")
    parts.extend(f"* recording: {_text(clip.caption)}\n" for clip in section.clips)
    return "\n".join(parts)


def _summary(sections: list[Section]) -> str:
    lines = [
        f"- **{LEVEL_NAMES[s.level]}** — {_text(s.title)}: {_text(s.verdict)}"
        for s in sections
        if s.verdict
    ]
    return "## Summary\n\n" + "\n".join(lines) + "\n" if lines else ""


def render_markdown(title: str, subtitle: str, sections: list[Section], footer: str = "") -> str:
    """Title, subtitle, summary of verdicts, then each section's text, table and captions."""
    parts = [f"# {_text(title)}\n"]
    if subtitle:
        parts.append(f"{_text(subtitle)}\n")
    summary = _summary(sections)
    if summary:
        parts.append(summary)
    parts.extend(_section(s, n) for s, n in numbered(sections))
    if footer:
        parts.append(f"---\n\n{_text(footer)}\n")
    return "\n".join(parts)
