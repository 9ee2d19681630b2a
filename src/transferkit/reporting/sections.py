"""The document model of a report: figures, tables and sections (plain data, no rendering)."""

from __future__ import annotations

import math
import numbers
import struct
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "LEVEL_NAMES",
    "Cell",
    "Figure",
    "Level",
    "Section",
    "Table",
    "format_cell",
    "format_number",
    "numbered",
]

# The levels of ``transferkit.evaluation.verdicts.Verdict``, so a verdict's level can be
# given to a section as it is.
Level = Literal["info", "good", "warn", "bad"]
Cell = str | float | int | None
LEVELS: tuple[str, ...] = ("info", "good", "warn", "bad")
LEVEL_NAMES = {"info": "Note", "good": "Good", "warn": "Warning", "bad": "Problem"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Figure:
    """A rendered figure: PNG bytes, a caption shown under it and alt text for screen readers.

    ``width`` is the display width in CSS pixels (``None``: the PNG's own width, at most the
    page width). The builders in :mod:`transferkit.reporting.plots` render at 1.5x and set it.
    ``faults`` lists what :func:`transferkit.reporting.canvas.figure_faults` found wrong in
    the drawn figure before it became a PNG (empty panels, "nan" in a text, overlapping
    labels); empty when nothing was found or the figure was not checked.
    """

    png: bytes
    caption: str
    alt: str = ""
    width: int | None = None
    faults: list[str] = field(default_factory=list, compare=False)

    def __post_init__(self) -> None:
        if not self.png.startswith(PNG_SIGNATURE):
            raise ValueError("Figure.png must be the bytes of a PNG image.")

    @property
    def pixel_size(self) -> tuple[int, int]:
        """(width, height) in pixels, read from the PNG header."""
        width, height = struct.unpack(">II", self.png[16:24])
        return int(width), int(height)


@dataclass
class Table:
    """A small table: a header and rows of strings and numbers (floats shown with 3 decimals)."""

    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    caption: str = ""

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.header):
                raise ValueError(
                    f"Table row {i} has {len(row)} cells but the header has {len(self.header)}."
                )


@dataclass(frozen=True)
class Clip:
    """A recording to listen to in the page: WAV bytes (16-bit mono) and a caption."""

    wav: bytes
    caption: str


@dataclass
class Section:
    """One part of a report: a heading, paragraphs, a table, figures, recordings to play
    and a verdict box."""

    title: str
    text: str = ""
    table: Table | None = None
    figures: list[Figure] = field(default_factory=list)
    clips: list[Clip] = field(default_factory=list)
    verdict: str | None = None
    level: Level = "info"

    def __setattr__(self, name: str, value: object) -> None:
        # Checked on every assignment: report builders set ``level`` after construction,
        # and an unknown level would otherwise only fail when the page is rendered.
        if name == "level" and value not in LEVELS:
            raise ValueError(f"Section.level must be one of {LEVELS}, not {value!r}.")
        super().__setattr__(name, value)

    def paragraphs(self) -> list[str]:
        """The text split at blank lines, without empty paragraphs."""
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]


def numbered(sections: list[Section]) -> list[tuple[Section, int]]:
    """Each section with the number of its first figure (figures are numbered from 1)."""
    out, next_number = [], 1
    for section in sections:
        out.append((section, next_number))
        next_number += len(section.figures)
    return out


def format_number(value: float | None, digits: int = 3) -> str:
    """A number with ``digits`` decimals; NaN or None as "n/a"."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{float(value):.{digits}f}"


def is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def format_cell(value: Cell) -> str:
    """A table cell as text: floats with 3 decimals, NaN and None as an en dash."""
    if value is None:
        return "–"
    if is_number(value):
        if isinstance(value, numbers.Integral):
            return str(int(value))
        number = float(value)
        return "–" if math.isnan(number) else f"{number:.3f}"
    return str(value)
