"""Matplotlib without pyplot: figures drawn on the Agg canvas and saved as PNG in memory.

Nothing here touches pyplot or the global backend, so importing the reporting layer never
changes how a caller's own plots are shown.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from transferkit.reporting.sections import Figure

__all__ = [
    "DPI",
    "PALETTE",
    "finish",
    "new_figure",
    "placeholder",
    "short_label",
    "style",
    "styled",
]

# Rendered at 1.5x the CSS pixel density: sharp on high-density screens, still small files.
DPI = 144
CSS_DPI = 96
PALETTE = [
    "#2f6fb3", "#e07b39", "#3a9a5b", "#c44e52", "#8064a2",
    "#8c6d31", "#d16ba5", "#6b6b6b", "#b5b83a", "#2ab0c4",
]  # fmt: skip

STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.edgecolor": "#9aa3ad",
    "axes.labelcolor": "#26313d",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "grid.color": "#e3e7ec",
    "grid.linewidth": 0.8,
    "xtick.color": "#3c4650",
    "ytick.color": "#3c4650",
    "legend.frameon": False,
    "legend.fontsize": 9,
    "text.color": "#26313d",
    "text.parse_math": False,  # class names like "$5 bill" are text, not TeX
    "svg.fonttype": "none",
}


P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def style() -> Iterator[None]:
    """The report style, applied only while a figure is drawn."""
    with mpl.rc_context(STYLE):
        yield


def styled(builder: Callable[P, R]) -> Callable[P, R]:
    """Run a figure builder inside :func:`style`."""

    @functools.wraps(builder)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with style():
            return builder(*args, **kwargs)

    return wrapper


def new_figure(width: float, height: float) -> MplFigure:
    """A figure of ``width`` x ``height`` inches on its own Agg canvas (no pyplot)."""
    fig = MplFigure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def finish(fig: MplFigure, caption: str, alt: str) -> Figure:
    """Save ``fig`` as PNG in memory and wrap it with its caption and alt text."""
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.12, facecolor="white"
    )
    png = buffer.getvalue()
    figure = Figure(png=png, caption=caption, alt=alt or caption)
    width = round(figure.pixel_size[0] * CSS_DPI / DPI)
    return Figure(png=png, caption=caption, alt=figure.alt, width=width)


def placeholder(message: str, width: float = 6.0, height: float = 2.0) -> MplFigure:
    """An empty figure that says why there is nothing to show."""
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", color="#6b7580", fontsize=11)
    return fig


def short_label(text: object, limit: int = 22) -> str:
    """A tick label: the text, shortened with an ellipsis when longer than ``limit``."""
    label = str(text)
    return label if len(label) <= limit else label[: limit - 1] + "…"
