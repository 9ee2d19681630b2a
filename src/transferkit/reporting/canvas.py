"""Matplotlib without pyplot: figures drawn on the Agg canvas and saved as PNG in memory.

Nothing here touches pyplot or the global backend, so importing the reporting layer never
changes how a caller's own plots are shown.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection
from matplotlib.figure import Figure as MplFigure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from transferkit.reporting.sections import Figure

__all__ = [
    "DPI",
    "PALETTE",
    "drawn_tick_labels",
    "figure_faults",
    "finish",
    "new_figure",
    "overlapping",
    "placeholder",
    "short_label",
    "short_labels",
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
    """A figure of ``width`` x ``height`` inches on its own Agg canvas (no pyplot).

    Drawn at :data:`DPI` from the start, so text measured while laying it out has the size
    it will have in the PNG.
    """
    fig = MplFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def finish(fig: MplFigure, caption: str, alt: str) -> Figure:
    """Check ``fig`` (:func:`figure_faults`), save it as PNG in memory and wrap it with its
    caption, alt text and the faults found."""
    faults = figure_faults(fig)
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.12, facecolor="white"
    )
    png = buffer.getvalue()
    figure = Figure(png=png, caption=caption, alt=alt or caption)
    width = round(figure.pixel_size[0] * CSS_DPI / DPI)
    return Figure(png=png, caption=caption, alt=figure.alt, width=width, faults=faults)


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


def short_labels(texts: Sequence[object], limit: int = 22) -> list[str]:
    """:func:`short_label` of each text, kept apart: names that would shorten to the same
    label ("insect class 11…", "insect class 12…") keep their ends instead."""
    labels = [short_label(t, limit) for t in texts]
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    head = (limit - 1) // 2
    for k, text in enumerate(texts):
        if seen[labels[k]] > 1 and len(str(text)) > limit:
            full = str(text)
            labels[k] = full[:head] + "…" + full[len(full) - (limit - 1 - head) :]
    return labels


# -- the check of a drawn figure ---------------------------------------------------------

# "nan", "NaN", "inf", "-inf", "Infinity" as words: not "banana", "info" or "infant".
NON_FINITE = re.compile(r"(?<![A-Za-z])(nan|inf|infinity)(?![A-Za-z])", re.IGNORECASE)


def _finite_rows(values: Any) -> bool:
    array = np.ma.filled(np.ma.asarray(values, dtype=float), np.nan).reshape(-1, 2)
    return bool(np.isfinite(array).all(axis=1).any())


def _holds_data(artist: Any, ax: Axes) -> bool:
    """Whether ``artist`` draws at least one finite point in data coordinates; lines drawn
    across the axes (``axvline``, ``axhline``) are references, not data."""
    if isinstance(artist, Line2D):
        return artist.get_transform() is ax.transData and _finite_rows(artist.get_xydata())
    if isinstance(artist, Collection):
        if artist.get_offset_transform() is ax.transData and len(artist.get_offsets()):
            return _finite_rows(artist.get_offsets())
        return artist.get_transform() is ax.transData and any(
            _finite_rows(p.vertices) for p in artist.get_paths()
        )
    if isinstance(artist, Patch):
        corners = artist.get_patch_transform().transform(artist.get_path().vertices)
        return artist.get_data_transform() is ax.transData and _finite_rows(corners)
    if isinstance(artist, AxesImage):
        return bool(np.isfinite(np.ma.filled(artist.get_array(), np.nan)).any())
    return False


def _has_data(ax: Axes) -> bool:
    artists = [*ax.lines, *ax.collections, *ax.patches, *ax.images]
    return any(a.get_visible() and _holds_data(a, ax) for a in artists)


def drawn_tick_labels(axis: Axis) -> list[Text]:
    """The tick labels ``axis`` shows: visible, not empty, at a tick inside the view (the
    locator also places ticks just outside it, which are never drawn)."""
    transform = axis.get_transform()
    low, high = sorted(transform.transform(np.asarray(axis.get_view_interval(), dtype=float)))
    slack = 1e-9 * max(1.0, abs(high - low))
    labels = []
    for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
        where = float(transform.transform(np.asarray([tick.get_loc()], dtype=float))[0])
        if not (tick.get_visible() and low - slack <= where <= high + slack):
            continue
        labels += [t for t in (tick.label1, tick.label2) if t.get_visible() and t.get_text()]
    return labels


def _corners(text: Text, renderer: RendererBase) -> np.ndarray:
    """The four corners (in order around it) of the rectangle ``text`` covers on screen."""
    box = text.get_window_extent(renderer)
    angle = float(text.get_rotation())
    if angle % 90.0 == 0.0:  # the screen-aligned box is the text's own
        return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    text.set_rotation(0)  # the unrotated size; its centre is that of the rotated box
    plain = text.get_window_extent(renderer)
    text.set_rotation(angle)
    half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [plain.width / 2, plain.height / 2]
    theta = np.deg2rad(angle)
    turn = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return half @ turn.T + [(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]


def _apart(a: np.ndarray, b: np.ndarray, pad: float) -> bool:
    """Whether two rectangles (corner arrays) are at least ``pad`` apart along some axis
    (separating axis test: for rectangles, their edge normals are the only candidates)."""
    for poly in (a, b):
        for edge in (poly[1] - poly[0], poly[2] - poly[1]):
            length = float(np.hypot(*edge))
            if length == 0.0:
                return True  # an empty text covers nothing
            normal = np.array([-edge[1], edge[0]]) / length
            pa, pb = a @ normal, b @ normal
            if pa.max() + pad <= pb.min() or pb.max() + pad <= pa.min():
                return True
    return False


def overlapping(
    texts: Sequence[Text], renderer: RendererBase, pad: float = 0.0
) -> list[tuple[Text, Text]]:
    """The pairs of ``texts`` whose rendered rectangles overlap or are closer than ``pad``
    pixels, rotated texts measured as rotated rectangles."""
    corners = [_corners(t, renderer) for t in texts]
    boxes = np.array(
        [[c[:, 0].min(), c[:, 1].min(), c[:, 0].max(), c[:, 1].max()] for c in corners]
    )
    pairs = []
    for i in range(len(texts)):
        # screen-aligned boxes first: a cheap filter before the exact test
        near = (boxes[i + 1 :, 0] < boxes[i, 2] + pad) & (boxes[i, 0] < boxes[i + 1 :, 2] + pad)
        near &= (boxes[i + 1 :, 1] < boxes[i, 3] + pad) & (boxes[i, 1] < boxes[i + 1 :, 3] + pad)
        for j in np.flatnonzero(near) + i + 1:
            if not _apart(corners[i], corners[j], pad):
                pairs.append((texts[i], texts[j]))
    return pairs


def _panel_name(ax: Axes, index: int) -> str:
    name = ax.get_title() or ax.get_ylabel() or ax.get_xlabel()
    return f"panel {index + 1}" + (f" ({name!r})" if name else "")


def _axes_faults(ax: Axes, name: str, renderer: RendererBase) -> list[str]:
    faults = [] if _has_data(ax) else [f"{name}: an empty panel, nothing drawn from finite data"]
    for letter, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        labels = drawn_tick_labels(axis)
        texts = [t.get_text() for t in labels]
        repeated = sorted({t for t in texts if texts.count(t) > 1})
        if repeated:
            faults.append(f"{name}: {letter} tick labels repeat: {repeated}")
        faults += [
            f"{name}: {letter} tick labels overlap: {a.get_text()!r} and {b.get_text()!r}"
            for a, b in overlapping(labels, renderer)
        ]
    notes = [t for t in ax.texts if t.get_visible() and t.get_text()]
    faults += [
        f"{name}: texts overlap: {a.get_text()!r} and {b.get_text()!r}"
        for a, b in overlapping(notes, renderer)
    ]
    return faults


def _shown_texts(fig: MplFigure) -> list[str]:
    """Every text the figure shows: titles, labels, legends, annotations, drawn ticks."""
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    ticks = {
        id(label)
        for ax in fig.axes
        for axis in (ax.xaxis, ax.yaxis)
        for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]
        for label in (tick.label1, tick.label2)
    }
    texts = [t.get_text() for t in fig.findobj(Text) if id(t) not in ticks and t.get_visible()]
    texts += [
        t.get_text() for ax in axes for a in (ax.xaxis, ax.yaxis) for t in drawn_tick_labels(a)
    ]
    return [t for t in texts if t.strip()]


def figure_faults(fig: MplFigure) -> list[str]:
    """What a reader would find wrong in ``fig``, checked on the laid-out figure before it
    becomes a PNG: a panel with nothing drawn from finite data, a text (tick label, title,
    legend, annotation) showing "nan" or "inf", repeated tick labels on one axis, and tick
    labels of one axis (or annotations of one panel) whose rendered rectangles overlap.

    Panels with their axis switched off (a placeholder's message) are not judged empty.
    """
    fig.draw_without_rendering()  # runs the layout and sets the tick labels
    renderer = fig.canvas.get_renderer()
    faults = []
    for index, ax in enumerate(fig.axes):
        if ax.get_visible() and ax.axison:
            faults += _axes_faults(ax, _panel_name(ax, index), renderer)
    faults += [
        f"a text shows a non-finite number: {t!r}"
        for t in _shown_texts(fig)
        if NON_FINITE.search(t)
    ]
    return faults
