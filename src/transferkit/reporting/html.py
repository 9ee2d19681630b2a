"""HTML rendering: one self-contained page, figures embedded as base64 ``data:`` URIs.

Every user-provided string (titles, texts, class names, captions) goes through
:func:`html.escape`; the only markup is the one written here.
"""

from __future__ import annotations

import base64
from html import escape

from transferkit.reporting.assets import IMAGE_CHECK_SCRIPT, STYLESHEET
from transferkit.reporting.sections import (
    LEVEL_NAMES,
    Clip,
    Figure,
    Section,
    Table,
    format_cell,
    is_number,
    numbered,
)

__all__ = ["render_figure", "render_html", "render_table"]


def _cell(tag: str, text: str, numeric: bool) -> str:
    cls = ' class="num"' if numeric else ""
    return f"<{tag}{cls}>{escape(text)}</{tag}>"


def render_table(table: Table) -> str:
    """A ``<table>``; numeric cells right-aligned, floats with 3 decimals."""
    numeric = [
        bool(table.rows) and all(is_number(row[j]) or row[j] is None for row in table.rows)
        for j in range(len(table.header))
    ]
    head = "".join(_cell("th", str(h), numeric[j]) for j, h in enumerate(table.header))
    body = "".join(
        "<tr>" + "".join(_cell("td", format_cell(c), is_number(c)) for c in row) + "</tr>\n"
        for row in table.rows
    )
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table>\n"


def render_figure(figure: Figure, number: int) -> str:
    """A ``<figure>`` with the PNG inline and a numbered caption."""
    data = base64.b64encode(figure.png).decode("ascii")
    width, height = figure.pixel_size
    shown = figure.width or width
    size = f'width="{shown}" height="{round(height * shown / width)}"' if width else ""
    return (
        f'<figure style="width: {shown}px">'
        f'<img src="data:image/png;base64,{data}" alt="{escape(figure.alt)}" {size}>'
        f"<figcaption><b>Figure {number}.</b> {escape(figure.caption)}</figcaption></figure>\n"
    )


def render_clip(clip: Clip) -> str:
    """A player for one recording, its WAV inline (nothing loads until it is played)."""
    data = base64.b64encode(clip.wav).decode("ascii")
    return (
        f'<figure class="clip"><audio controls preload="none" '
        f'src="data:audio/wav;base64,{data}"></audio>'
        f"<figcaption>{escape(clip.caption)}</figcaption></figure>\n"
    )


def _paragraphs(section: Section) -> str:
    return "".join("<p>" + escape(p).replace("\n", "<br>") + "</p>\n" for p in section.paragraphs())


def _section(section: Section, index: int, first_figure: int) -> str:
    parts = [f'<section id="section-{index}">\n<h2>{escape(section.title)}</h2>\n']
    if section.verdict:
        parts.append(f'<div class="verdict {section.level}">{escape(section.verdict)}</div>\n')
    parts.append(_paragraphs(section))
    if section.table is not None:
        parts.append(render_table(section.table))
    if section.figures:
        figures = "".join(render_figure(f, first_figure + k) for k, f in enumerate(section.figures))
        parts.append(f'<div class="figures">\n{figures}</div>\n')
    if section.clips:
        parts.append(f'<div class="clips">\n{"".join(map(render_clip, section.clips))}</div>\n')
    parts.append("</section>\n")
    return "".join(parts)


def _summary(sections: list[Section]) -> str:
    """Verdicts of all sections (or, without any, a list of contents) in a box."""
    judged = [(i, s) for i, s in enumerate(sections) if s.verdict]
    if judged:
        items = "".join(
            f'<li><span class="badge {s.level}">{LEVEL_NAMES[s.level]}</span>'
            f'<span><a href="#section-{i}">{escape(s.title)}</a>: {escape(s.verdict or "")}'
            "</span></li>\n"
            for i, s in judged
        )
        return f'<div class="summary">\n<h2>Summary</h2>\n<ul>\n{items}</ul>\n</div>\n'
    if not sections:
        return ""
    items = "".join(
        f'<li><a href="#section-{i}">{escape(s.title)}</a></li>\n' for i, s in enumerate(sections)
    )
    return f'<nav class="summary">\n<h2>Contents</h2>\n<ul>\n{items}</ul>\n</nav>\n'


def render_html(title: str, subtitle: str, sections: list[Section], footer: str = "") -> str:
    """The whole page: header, summary box, sections, footer, stylesheet and image check."""
    subtitle_html = f'<p class="subtitle">{escape(subtitle)}</p>\n' if subtitle else ""
    body = "".join(_section(s, i, n) for i, (s, n) in enumerate(numbered(sections)))
    footer_html = f"<footer>{escape(footer)}</footer>\n" if footer else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLESHEET}</style>\n</head>\n<body>\n"
        '<div class="page">\n<header class="report-header">\n'
        f"<h1>{escape(title)}</h1>\n{subtitle_html}</header>\n"
        f"<main>\n{_summary(sections)}{body}</main>\n{footer_html}</div>\n"
        f"<script>{IMAGE_CHECK_SCRIPT}</script>\n</body>\n</html>\n"
    )
