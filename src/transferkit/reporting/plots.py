"""Figure builders: plain Python / numpy data in, a :class:`Figure` (PNG, caption, alt) out.

Every builder draws on its own Agg canvas (see :mod:`transferkit.reporting.canvas`), so it
works in any process, with or without a display, and never touches pyplot's global state.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, NullLocator

from transferkit.reporting.canvas import (
    PALETTE,
    drawn_tick_labels,
    finish,
    new_figure,
    overlapping,
    placeholder,
    short_label,
    short_labels,
    styled,
)
from transferkit.reporting.sections import Figure, format_number

__all__ = [
    "bar_comparison",
    "confusion_matrix",
    "data_efficiency",
    "embedding_map",
    "learning_curves",
    "per_class_bars",
    "reliability_diagram",
]

MUTED = "#6b7580"
MARKERS = ("o", "^", "s", "D", "v", "P", "X", "*")
LABEL_GAP = 2.0  # pixels kept free between neighbouring tick labels
MAX_NAMED = 20  # confusion matrices of more classes number their columns
UNLABELLED = "#7d8791"  # hollow markers of unlabelled points: no class colour is hollow
SPARSE = 5  # reliability bins of fewer examples are hatched
FULL = 30  # ... and their bars are fully opaque from this many examples on


def _floats(values: Any) -> np.ndarray:
    """A 1-D float array; ``None`` becomes NaN."""
    return np.asarray([np.nan if v is None else v for v in values], dtype=float).reshape(-1)


def _in_sentence(label: str) -> str:
    """An axis label inside a sentence: "Accuracy" -> "accuracy", "CKA" stays "CKA"."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def _colors(n: int) -> list[Any]:
    """``n`` distinct colours: the report palette, then tab20, then an even spread of turbo."""
    if n <= len(PALETTE):
        return PALETTE[:n]
    if n <= 20:  # the strong colours of tab20 first, then their light partners
        tab20 = colormaps["tab20"].colors
        return list(tab20[0::2] + tab20[1::2])[:n]
    return [colormaps["turbo"](v) for v in np.linspace(0.05, 0.95, n)]


def _set_ticks(
    ax: Axes, axis: str, positions: Any, labels: Sequence[str], rotation: int, size: float
) -> None:
    if axis == "y":
        ax.set_yticks(positions, labels, fontsize=size)
        return
    # Rotated labels end at their tick; upright ones are centred on it.
    ax.set_xticks(
        positions,
        labels,
        fontsize=size,
        rotation=rotation,
        ha="center" if rotation == 0 else "right",
        va="center" if rotation == 90 else "top",
        rotation_mode="anchor" if rotation else "default",
    )


def _crowded(fig: MplFigure, ax: Axes, axis: str) -> bool:
    fig.draw_without_rendering()  # the layout decides how much room the labels have
    labels = drawn_tick_labels(ax.xaxis if axis == "x" else ax.yaxis)
    return bool(overlapping(labels, fig.canvas.get_renderer(), pad=LABEL_GAP))


def _measure(fig: MplFigure, ax: Axes, axis: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Of level labels, in pixels: the gaps between neighbouring label centres, each
    label's extent along the axis, and the tallest label's height."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    texts = drawn_tick_labels(ax.xaxis if axis == "x" else ax.yaxis)
    boxes = [t.get_window_extent(renderer) for t in texts]
    if axis == "x":
        centres, extents = [(b.x0 + b.x1) / 2 for b in boxes], [b.width for b in boxes]
    else:
        centres, extents = [(b.y0 + b.y1) / 2 for b in boxes], [b.height for b in boxes]
    order = np.argsort(centres)
    height = max((b.height for b in boxes), default=0.0)
    return np.diff(np.asarray(centres)[order]), np.asarray(extents)[order], height


def _may_fit(
    rotation: int, scale: float, step: int, measured: tuple[np.ndarray, np.ndarray, float]
) -> bool:
    """Whether labels scaled by ``scale``, every ``step``-th shown, can fit: level ones
    side by side, rotated ones (parallel rectangles) when the distance between
    neighbours across the text, gap x sin(rotation), exceeds their height."""
    gaps, extents, height = measured
    if len(gaps) == 0:
        return True
    if rotation == 0 and step == 1:
        return bool(np.all((extents[:-1] + extents[1:]) * scale / 2 + LABEL_GAP <= gaps))
    if rotation == 0:
        return bool(extents.max() * scale + LABEL_GAP <= gaps.min() * step)
    return bool(gaps.min() * step * math.sin(math.radians(rotation)) >= height * scale + LABEL_GAP)


def _fit_ticks(
    fig: MplFigure,
    ax: Axes,
    axis: str,
    labels: Sequence[str],
    fontsize: float = 9.0,
    positions: Any = None,
    thin: bool = True,
) -> int | None:
    """Tick labels that never overlap on the laid-out figure: level, then (x only) rotated
    40° and upright, then smaller, then only every k-th label. Each option is judged from
    one measurement of the level labels and confirmed by laying the figure out again.

    Returns k (1: every label is shown), or None when they do not all fit and ``thin`` is
    off, so the caller can shorten them instead.
    """
    where = np.arange(len(labels)) if positions is None else np.asarray(positions, dtype=float)
    labels = list(labels)
    _set_ticks(ax, axis, where, labels, 0, fontsize)
    measured = _measure(fig, ax, axis)
    turns = (0, 40, 90) if axis == "x" else (0,)
    attempts = [(turn, fontsize) for turn in turns] + [(turns[-1], max(6.0, 0.8 * fontsize))]
    step = 1
    while True:
        last = len(where[::step]) <= 1  # a single label always fits
        for rotation, size in attempts if step == 1 else attempts[-1:]:
            if last or _may_fit(rotation, size / fontsize, step, measured):
                _set_ticks(ax, axis, where[::step], labels[::step], rotation, size)
                # laid out in any case: callers measure the figure as it is left
                if not _crowded(fig, ax, axis) or last:
                    return step
        if not thin:
            _set_ticks(ax, axis, where, labels, *attempts[-1])
            return None
        step *= 2


def _thinned(step: int | None, what: str) -> list[str]:
    """The caption's note when only every ``step``-th tick is labelled."""
    if not step or step == 1:
        return []
    suffix = "th" if 10 <= step % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(step % 10, "th")
    return [f"only every {step}{suffix} {what} is labelled"]


# -- learning curves ---------------------------------------------------------------------


PANELS = (("loss", "Loss"), ("accuracy", "Accuracy"))


def _finite_or_nan(values: Any) -> np.ndarray:
    """Floats with every non-finite value (None, NaN, ±inf) as NaN: not drawn."""
    array = _floats(values)
    return np.where(np.isfinite(array), array, np.nan)


def _curve_panel(ax: Axes, epochs: list[Mapping[str, Any]], key: str, best: Any) -> bool:
    """Train and validation ``key`` per epoch, each only where it has finite values; True
    when there were validation values."""
    x = _floats(e.get("epoch", i + 1) for i, e in enumerate(epochs))
    marker = "o" if len(x) <= 30 else None
    has_val = False
    for split, name, color in (("train", "train", PALETTE[0]), ("val", "validation", PALETTE[1])):
        y = _finite_or_nan(e.get(f"{split}_{key}") for e in epochs)
        if np.isfinite(y).any():
            ax.plot(x, y, marker=marker, ms=4, lw=1.8, color=color, label=name)
            has_val |= split == "val"
    if best is not None:
        ax.axvline(float(best), color=MUTED, ls="--", lw=1, label=f"best epoch ({best})")
    if key == "accuracy":  # a change of 0.005 must not fill the panel's height
        _at_least(ax, 0.1, 0.0, 1.01)
    ax.set_xlabel("Epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if len(x) == 1:
        ax.set_xlim(x[0] - 1, x[0] + 1)
    ax.legend(loc="best")
    return has_val


def _at_least(ax: Axes, span: float, floor: float, ceiling: float) -> None:
    """Widen the y range to ``span`` around its middle, within ``floor``..``ceiling``."""
    low, high = ax.get_ylim()
    if high - low >= span:
        return
    low = min(max(floor, (low + high - span) / 2), ceiling - span)
    ax.set_ylim(low, low + span)


def _shown_panels(epochs: list[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The panels with at least one finite value: a contrastive objective has no accuracy."""
    return [
        (key, name)
        for key, name in PANELS
        if any(
            np.isfinite(_floats(e.get(f"{split}_{key}") for e in epochs)).any()
            for split in ("train", "val")
        )
    ]


@styled
def learning_curves(history: Mapping[str, Any], title: str = "Learning curves") -> Figure:
    """Loss and accuracy per epoch, train against validation, with the best epoch marked.

    ``history``: ``{"epochs": [{"epoch", "train_loss", "train_accuracy", "val_loss",
    "val_accuracy", "seconds"}, ...], "best_epoch": int, "stopped_early": bool}``. Values
    that are NaN or missing are not drawn: without a validation split only the training
    curves show, and a quantity with no finite value in any epoch (the accuracy of a
    contrastive objective) gets no panel.
    """
    epochs = list(history.get("epochs") or [])
    if not epochs:
        return finish(placeholder("No epochs were recorded."), f"{title}: no epochs.", title)
    panels = _shown_panels(epochs)
    if not panels:
        message = "No finite loss or accuracy was recorded."
        return finish(placeholder(message), f"{title}: {message[0].lower()}{message[1:]}", title)
    best = history.get("best_epoch")
    fig = new_figure(5.0 * len(panels), 3.6)
    has_val = False
    for ax, (key, name) in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels, strict=True):
        has_val |= _curve_panel(ax, epochs, key, best)
        ax.set_title(name)
    seconds = _floats(e.get("seconds") for e in epochs)
    notes = [f"{len(epochs)} epoch{'s' if len(epochs) != 1 else ''}"]
    if np.isfinite(seconds).any():
        total = float(np.nansum(seconds))
        notes[0] += f" in {total:.1f} s" if total < 10 else f" in {total:.0f} s"
    if best is not None:
        notes.append(f"best epoch {best}")
    if history.get("stopped_early"):
        notes.append("stopped early")
    if not has_val:
        notes.append("no validation split, training curves only")
    notes += [
        f"no {name.lower()} was recorded" for key, name in PANELS if (key, name) not in panels
    ]
    what = " and ".join(name.lower() for _, name in panels)
    caption = f"{title}: {what} per epoch ({'; '.join(notes)})."
    charts = "Two line charts" if len(panels) == 2 else "A line chart"
    split = "train vs validation" if has_val else "train only"
    alt = f"{charts} of {what} per epoch, {split}; {notes[0]}."
    return finish(fig, caption, alt)


# -- confusion matrix and per-class scores -----------------------------------------------


def _annotate_counts(
    fig: MplFigure, ax: Axes, counts: np.ndarray, share: np.ndarray, largest: float
) -> bool:
    """Print each cell's count in a font that fits the cell (at most ``largest`` points);
    False, printing nothing, when the cells are too small for a readable number."""
    integral = bool(np.all(counts == np.round(counts)))
    texts = [f"{int(v)}" if integral else f"{v:.2f}" for v in counts.ravel()]
    # no new layout needed: _fit_ticks laid the figure out after placing the last labels
    cell = ax.get_window_extent().width / counts.shape[1] * 72.0 / fig.dpi  # points
    widest = max(len(t) for t in texts)
    fontsize = min(largest, 0.8 * cell / (0.65 * widest + 0.3), 0.55 * cell)
    if fontsize < 5.0:
        return False
    for ((i, j), _), text in zip(np.ndenumerate(counts), texts, strict=True):
        color = "white" if share[i, j] > 0.55 else "#26313d"
        # inside their cells: the layout need not measure hundreds of them on every draw
        ax.text(
            j, i, text, ha="center", va="center", fontsize=fontsize, color=color, in_layout=False
        )
    return True


def _matrix_labels(fig: MplFigure, ax: Axes, classes: list[str], size: float) -> list[str]:
    """Class names on both axes when they fit side by side (rotated if need be); otherwise
    the columns are numbered and each row shows its name and number. Returns the notes the
    caption needs."""
    names = short_labels(classes)
    notes = ["long class names are shortened"] if names != classes else []
    step = _fit_ticks(fig, ax, "y", names, size)  # first: its width sets the room left for x
    if len(names) <= MAX_NAMED and _fit_ticks(fig, ax, "x", names, size, thin=False) == 1:
        return notes + _thinned(step, "row")
    numbers = [str(k) for k in range(1, len(names) + 1)]
    step = _fit_ticks(
        fig, ax, "y", [f"{c} [{k}]" for c, k in zip(names, numbers, strict=True)], size
    )
    notes.append("columns are numbered like the rows")
    return (
        notes + _thinned(step, "row") + _thinned(_fit_ticks(fig, ax, "x", numbers, size), "column")
    )


@styled
def confusion_matrix(
    matrix: Sequence[Sequence[float]], classes: Sequence[str], title: str = "Confusion matrix"
) -> Figure:
    """Counts with true classes as rows and predictions as columns, coloured by row share.

    Tick labels never overlap: they are rotated, shortened, or (many classes) the columns
    are numbered like the rows; the caption says which.
    """
    counts = np.asarray(matrix, dtype=float)
    n = len(classes)
    if n == 0 or counts.size == 0:
        return finish(placeholder("No classes to show."), f"{title}: empty.", title)
    if counts.shape != (n, n):
        raise ValueError(f"matrix must be {n} x {n} for {n} classes, got shape {counts.shape}.")
    side = min(10.0, max(3.6, 1.4 + 0.45 * n))
    fontsize = max(7.5, min(11.0, 13.0 - 0.3 * n))
    fig = new_figure(side + 0.8, side)
    ax = fig.add_subplot()
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.grid(False)
    ax.spines[:].set_visible(False)
    ax.tick_params(length=0)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_title(title)
    colorbar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.03, aspect=30)
    colorbar.set_label("Share of the true class")
    colorbar.outline.set_visible(False)
    notes = _matrix_labels(fig, ax, [str(c) for c in classes], max(fontsize, 8.5))
    printed = _annotate_counts(fig, ax, counts, share, fontsize)
    total = counts.sum()
    accuracy = np.trace(counts) / total if total else math.nan
    numbers = "numbers are counts and " if printed else ""
    if not printed:
        notes.append("the cells are too small to print the counts")
    caption = (
        f"{title}: rows are true classes, columns predictions; {numbers}the colour is the "
        f"share of each true class{' (' + '; '.join(notes) + ')' if notes else ''}."
    )
    alt = (
        f"Confusion matrix of {n} classes, {total:.0f} examples, "
        f"accuracy {format_number(accuracy)}."
    )
    return finish(fig, caption, alt)


def _mark_empty_bars(ax: Axes, x: np.ndarray, heights: np.ndarray, width: float) -> int:
    """A score of 0 draws no bar and an undefined one (NaN) neither: say which it is, when
    the bars (``x``: one per class) are wide enough for a character. Returns the marks."""
    if width * ax.get_figure().get_figwidth() * 0.8 * 72.0 / len(x) < 6.0:  # points
        return 0
    empty = [(where, h) for where, h in zip(x, heights, strict=True) if not h > 0]
    for where, height in empty:
        text = "0" if height == 0 else "–"
        ax.text(where, 0.01, text, ha="center", va="bottom", fontsize=7, color=MUTED)
    return len(empty)


@styled
def per_class_bars(
    per_class: Mapping[str, Mapping[str, float]],
    title: str = "Precision, recall and F1 per class",
) -> Figure:
    """Grouped bars of precision, recall and F1 for each class (support in the tick label)."""
    names = list(per_class)
    if not names:
        return finish(placeholder("No classes to show."), f"{title}: empty.", title)
    n = len(names)
    fig = new_figure(min(12.0, max(5.5, 2.5 + 0.5 * n)), 3.8)
    ax = fig.add_subplot()
    width = 0.8 / 3
    marked = 0
    for k, metric in enumerate(("precision", "recall", "f1")):
        heights = _floats(per_class[c].get(metric) for c in names)
        label = "F1" if metric == "f1" else metric.capitalize()
        ax.bar(np.arange(n) + (k - 1) * width, heights, width, label=label, color=PALETTE[k])
        marked += _mark_empty_bars(ax, np.arange(n) + (k - 1) * width, heights, width)
    support = [per_class[c].get("support") for c in names]
    sep = " " if n > 6 else "\n"
    labels = [
        label + ("" if s is None else f"{sep}(n={s:g})")
        for label, s in zip(short_labels(names), support, strict=True)
    ]
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("Score")
    ax.set_title(title)
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    notes = _thinned(_fit_ticks(fig, ax, "x", labels), "class")
    if marked:
        notes.insert(0, "0 marks a score of zero, – one that is undefined")
    f1 = _floats(per_class[c].get("f1") for c in names)
    worst = names[int(np.nanargmin(f1))] if np.isfinite(f1).any() else "none"
    caption = (
        f"{title}; n is the number of examples of the class{''.join('; ' + t for t in notes)}."
    )
    alt = f"Bar chart of precision, recall and F1 for {n} classes; lowest F1: {worst}."
    return finish(fig, caption, alt)


# -- calibration -------------------------------------------------------------------------


def _bin_arrays(table: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """accuracy, count, lower and upper as float arrays (edges default to equal widths)."""
    accuracy = _floats(table["accuracy"])
    m = len(accuracy)
    edges = np.linspace(0.0, 1.0, m + 1)
    lower = _floats(table["lower"]) if "lower" in table else edges[:-1]
    upper = _floats(table["upper"]) if "upper" in table else edges[1:]
    count = _floats(table["count"]) if "count" in table else np.isfinite(accuracy).astype(float)
    return {"accuracy": accuracy, "count": np.nan_to_num(count), "lower": lower, "upper": upper}


def _count_labels(ax: Axes, centres: np.ndarray, counts: np.ndarray, width: float) -> None:
    """Each bin's count above its bar, upright when the bars are too narrow for it."""
    fig = ax.get_figure()
    bar_points = width * ax.get_position().width * fig.get_figwidth() * 72.0
    texts = [f"{c:g}" for c in counts]
    upright = bar_points < 0.65 * 7.0 * max((len(t) for t in texts), default=1) + 2.0
    for x, count, text in zip(centres, counts, texts, strict=True):
        if count > 0:
            ax.annotate(
                text,
                (x, count),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                rotation=90 if upright else 0,
                color="#3c4650",
            )


def _reliability_bars(
    ax: Axes, ax_count: Axes, table: Mapping[str, Any], k: int, of: int, name: str
) -> tuple[Patch, int]:
    """Draw one table's bars; return its legend entry and how many of its bins are sparse.

    A bar's opacity grows with its bin's count (full from ``FULL`` examples) and bins of
    fewer than ``SPARSE`` examples are hatched: their accuracy says little.
    """
    b = _bin_arrays(table)
    width = (b["upper"] - b["lower"]) / of
    left = b["lower"] + k * width
    filled = np.isfinite(b["accuracy"]) & (b["count"] > 0)
    color = PALETTE[k % len(PALETTE)]
    opacity = 0.2 + 0.7 * np.clip(b["count"][filled] / FULL, 0.0, 1.0)
    bars = ax.bar(
        left[filled],
        b["accuracy"][filled],
        width[filled],
        align="edge",
        color=[to_rgba(color, a) for a in opacity],
        edgecolor="white",
        linewidth=0.6,
    )
    sparse = b["count"][filled] < SPARSE
    for bar, few in zip(bars, sparse, strict=True):
        if few:
            bar.set_hatch("////")
            bar.set_edgecolor(color)
    ax_count.bar(
        left, b["count"], width, align="edge", color=color, alpha=0.85, edgecolor="white", lw=0.6
    )
    _count_labels(ax_count, left + width / 2, b["count"], float(np.min(width, initial=1.0)))
    ece = float(table.get("ece", math.nan))
    label = f"{name} (ECE {ece:.3f})" if math.isfinite(ece) else name
    return Patch(facecolor=color, alpha=0.9, label=label), int(sparse.sum())


@styled
def reliability_diagram(
    bins: Mapping[str, Any],
    title: str = "Reliability diagram",
    bins_after: Mapping[str, Any] | None = None,
) -> Figure:
    """Accuracy per confidence bin against the diagonal of perfect calibration.

    ``bins`` is a reliability table (``confidence``, ``accuracy``, ``count``, ``lower``,
    ``upper``; NaN for empty bins; and ``ece``) as returned by
    :func:`transferkit.evaluation.calibration.reliability_table`. ``bins_after``, when given,
    is the table after temperature scaling, drawn beside it. A lower panel shows the counts;
    bars of bins with few examples are pale, and hatched below ``SPARSE`` examples.
    """
    tables = [("after temperature scaling", bins_after)] if bins_after is not None else []
    tables.insert(0, ("before" if tables else "model", bins))
    eces = [float(t.get("ece", math.nan)) for _, t in tables]
    ece_text = " → ".join(format_number(e) for e in eces)
    counts = [_bin_arrays(t)["count"] for _, t in tables]
    if not any(c.sum() > 0 for c in counts):
        caption = f"{title}: no examples in any bin; expected calibration error {ece_text}."
        return finish(placeholder("No examples in any confidence bin."), caption, caption)
    fig = new_figure(6.0, 5.8)
    ax, ax_count = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    drawn = [
        _reliability_bars(ax, ax_count, t, k, len(tables), name)
        for k, (name, t) in enumerate(tables)
    ]
    ax.plot([0, 1], [0, 1], ls="--", lw=1.2, color=MUTED)
    handles: list[Any] = [Line2D([], [], ls="--", lw=1.2, color=MUTED, label="perfect calibration")]
    handles += [handle for handle, _ in drawn]
    sparse = sum(n for _, n in drawn)
    if sparse:
        label = f"fewer than {SPARSE} examples"
        handles.append(Patch(facecolor="white", edgecolor=MUTED, hatch="////", label=label))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Accuracy in bin")
    ax.set_title(title)
    # below the panels, where no bar can hide it (an under-confident model fills the top left)
    fig.legend(handles=handles, loc="outside lower center", ncol=2)
    ax_count.set_ylabel("Count")
    ax_count.set_xlabel("Confidence (largest predicted probability)")
    ax_count.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    ax_count.set_ylim(0, 1.5 * max(float(c.max()) for c in counts))  # room for the counts
    weak = f"; hatched bars hold fewer than {SPARSE} examples and say little" if sparse else ""
    caption = (
        f"{title}: accuracy per confidence bin (bars, paler for fewer examples) against "
        f"perfect calibration (diagonal); the lower panel counts the examples per bin{weak}; "
        f"expected calibration error {ece_text}."
    )
    alt = f"Reliability diagram with {len(_floats(bins['accuracy']))} bins, ECE {ece_text}."
    return finish(fig, caption, alt)


# -- data efficiency and comparisons -----------------------------------------------------


DODGE = 0.015  # share of the x range between the points of neighbouring strategies


def _efficiency_line(
    ax: Axes, curve: Mapping[str, Any], name: str, color: Any, shift: float
) -> dict[float, str]:
    """Draw one curve, its points moved sideways by the factor ``shift`` so that the error
    bars of strategies at the same size stay apart; return its sizes with tick labels."""
    sizes = _floats(curve["sizes"])
    labels = list(curve.get("labels") or [f"{s:g}" for s in sizes])
    order = np.argsort(sizes)
    keep = order[sizes[order] > 0]  # a log axis shows positive sizes only
    mean = _floats(curve["mean"])[keep]
    yerr = None
    if curve.get("low") is not None and curve.get("high") is not None:
        low, high = _floats(curve["low"])[keep], _floats(curve["high"])[keep]
        yerr = _error_bars(np.column_stack([mean, low, high]))
    ax.errorbar(
        sizes[keep] * shift,
        mean,
        yerr=yerr,
        marker="o",
        ms=5,
        lw=2,
        color=color,
        capsize=3.5,
        elinewidth=1.3,
        capthick=1.3,
        label=short_label(name, 40),
    )
    return {float(sizes[i]): str(labels[i]) for i in keep}


def _shifts(curves: Mapping[str, Mapping[str, Any]]) -> list[float]:
    """One factor per curve, spreading the curves' points evenly around their size."""
    sizes = np.concatenate([_floats(c["sizes"]) for c in curves.values()])
    sizes = sizes[sizes > 0]
    decades = max(1.0, float(np.log10(sizes.max() / sizes.min()))) if len(sizes) else 1.0
    middle = (len(curves) - 1) / 2
    return [10 ** (DODGE * decades * (k - middle)) for k in range(len(curves))]


@styled
def data_efficiency(
    curves: Mapping[str, Mapping[str, Any]],
    title: str = "Data efficiency",
    ylabel: str = "Accuracy",
    baseline: float | None = None,
    baseline_label: str = "baseline",
) -> Figure:
    """Score against training examples per class (log scale), one line per strategy.

    ``curves``: ``{"strategy": {"sizes": [...], "mean": [...], "low": [...], "high": [...]}}``;
    ``low``/``high`` (a confidence interval, drawn as error bars, each strategy's points
    moved slightly sideways so they do not hide each other) and ``labels`` (tick labels for
    the sizes, e.g. "all (~122)") are optional. ``baseline`` draws a dotted horizontal line
    named ``baseline_label`` (e.g. the accuracy of always predicting the majority class).
    """
    if not any(np.isfinite(_floats(c["mean"])).any() for c in curves.values()):
        return finish(placeholder("No curves to show."), f"{title}: empty.", title)
    fig = new_figure(7.4, 4.0)
    ax = fig.add_subplot()
    colors = _colors(len(curves))
    ticks: dict[float, str] = {}
    for k, ((name, curve), shift) in enumerate(zip(curves.items(), _shifts(curves), strict=True)):
        ticks.update(_efficiency_line(ax, curve, name, colors[k], shift))
    handles = ax.get_legend_handles_labels()[0]
    reference = ""
    if baseline is not None and math.isfinite(baseline):
        label = f"{short_label(baseline_label, 40)} ({baseline:.3f})"
        handles.append(ax.axhline(baseline, color="#26313d", ls=":", lw=1.5, label=label))
        reference = f"; the dotted line is {baseline_label} ({baseline:.3f})"
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("Training examples per class (log scale)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Strategy")
    step = _fit_ticks(fig, ax, "x", [ticks[t] for t in sorted(ticks)], positions=sorted(ticks))
    caption = (
        f"{title}: mean {_in_sentence(ylabel)} against the number of training examples per "
        "class; error bars are confidence intervals, each strategy's points set slightly "
        f"apart so that they do not hide each other{reference}"
        f"{''.join('; ' + t for t in _thinned(step, 'size'))}."
    )
    alt = (
        f"Line chart of {_in_sentence(ylabel)} against examples per class for {len(curves)} "
        f"curves{reference.replace('; the dotted line is', ', with a line for')}."
    )
    return finish(fig, caption, alt)


def _error_bars(triples: np.ndarray) -> np.ndarray:
    mean, low, high = triples.T
    err = np.vstack([mean - low, high - mean])
    return np.clip(np.nan_to_num(err, nan=0.0), 0.0, None)


def _value_labels(ax: Axes, triples: np.ndarray) -> list[Any]:
    notes = []
    for x, (mean, low, high) in enumerate(triples):
        if not math.isfinite(mean):
            continue
        up = mean >= 0
        end = np.nanmax([mean, high]) if up else np.nanmin([mean, low])
        note = ax.annotate(
            f"{mean:.3f}",
            (x, end),
            xytext=(0, 4 if up else -4),
            textcoords="offset points",
            ha="center",
            va="bottom" if up else "top",
            fontsize=8.5,
        )
        notes.append(note)
    return notes


def _fit_value_labels(fig: MplFigure, notes: list[Any]) -> bool:
    """Value labels that overlap turn upright, and go when even that is too tight; False
    when they had to go."""
    for upright in (False, True):
        for note in notes:
            note.set_rotation(90 if upright else 0)
        fig.draw_without_rendering()
        if not overlapping(notes, fig.canvas.get_renderer(), pad=LABEL_GAP):
            return True
    for note in notes:
        note.remove()
    return False


@styled
def bar_comparison(values: Mapping[str, Sequence[float]], title: str, ylabel: str) -> Figure:
    """One bar per name: the mean with an error bar from ``low`` to ``high``.

    ``values``: ``{"name": (mean, low, high)}``; a NaN ``low``/``high`` draws no error bar.
    """
    names = list(values)
    triples = np.asarray([_floats(values[n])[:3] for n in names], dtype=float).reshape(-1, 3)
    if not np.isfinite(triples[:, 0]).any():
        return finish(placeholder("No values to show."), f"{title}: empty.", title)
    n = len(names)
    fig = new_figure(min(11.0, max(4.8, 1.6 + 0.75 * n)), 3.8)
    ax = fig.add_subplot()
    ax.bar(
        np.arange(n),
        triples[:, 0],
        0.62,
        color=_colors(n),
        yerr=_error_bars(triples),
        capsize=4,
        error_kw={"elinewidth": 1.1, "ecolor": "#26313d"},
    )
    if np.nanmin(triples) < 0:
        ax.axhline(0.0, color="#9aa3ad", lw=0.8)
    ax.margins(y=0.15)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="x", visible=False)
    notes = _thinned(_fit_ticks(fig, ax, "x", short_labels(names, 28)), "entry")
    if not _fit_value_labels(fig, _value_labels(ax, triples)):
        notes.append("too many bars to print their values")
    caption = (
        f"{title}: mean {_in_sentence(ylabel)} per entry; error bars from low to high"
        f"{''.join('; ' + t for t in notes)}."
    )
    summary = ", ".join(
        f"{short_label(s)} {format_number(m)}" for s, m in zip(names, triples[:, 0], strict=True)
    )
    return finish(fig, caption, f"Bar chart of {_in_sentence(ylabel)}: {summary}.")


# -- embeddings --------------------------------------------------------------------------


def _check_points(points: Any, labels: Sequence[Any], groups: Sequence[Any] | None) -> np.ndarray:
    xy = np.asarray(points, dtype=float)
    if xy.size == 0:
        xy = xy.reshape(0, 2)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"points must have shape [n, 2], got {xy.shape}.")
    if len(labels) != len(xy) or (groups is not None and len(groups) != len(xy)):
        raise ValueError("labels (and groups, if given) need one entry per point.")
    return xy


def _natural_key(text: str) -> list[Any]:
    """Sort "class 2" before "class 10"."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def _unlabelled(value: Any) -> bool:
    """``None`` (or a NaN, as pandas writes a missing label) means "no label"."""
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _marker_handle(marker: str, color: Any, label: str, hollow: bool = False) -> Line2D:
    face = "none" if hollow else color
    return Line2D(
        [], [], ls="", marker=marker, ms=6, color=color, mfc=face, label=short_label(label)
    )


def _group_handles(groups: list[str], unlabelled: dict[str, bool]) -> list[Line2D]:
    """A marker per group, and a hollow one for each group's unlabelled points, named
    after it ("target (unlabelled)"): they are not a class."""
    handles = []
    for k, group in enumerate(groups):
        marker = MARKERS[k % len(MARKERS)]
        if len(groups) > 1 and not unlabelled.get(group, False):  # some points have labels
            handles.append(_marker_handle(marker, "#4a5560", group))
        if group in unlabelled:
            name = f"{group} (unlabelled)" if group else "unlabelled"
            handles.append(_marker_handle(marker, UNLABELLED, name, hollow=True))
    return handles


def _embedding_legends(
    fig: MplFigure,
    classes: list[str],
    colors: list[Any],
    groups: list[str],
    unlabelled: dict[str, bool],
    colour_by: str = "class",
) -> None:
    """Figure legends right of the axes (constrained layout makes room for them)."""
    if classes:
        names = short_labels(classes)
        handles = [_marker_handle("o", c, name) for name, c in zip(names, colors, strict=True)]
        ncol = math.ceil(len(classes) / 24)
        title = colour_by[:1].upper() + colour_by[1:]
        fig.legend(handles=handles, title=title, loc="outside right upper", ncol=ncol)
    marks = _group_handles(groups, unlabelled)
    if marks:
        title = "Group" if len(groups) > 1 else None
        fig.legend(handles=marks, title=title, loc="outside right lower")


def _scatter(
    ax: Axes, xy: np.ndarray, idx: np.ndarray, marker: str, size: float, colors: Any
) -> None:
    """``colors`` None: unlabelled points, hollow in one neutral colour."""
    if len(idx) == 0:
        return
    style: dict[str, Any] = (
        {"facecolors": "none", "edgecolors": UNLABELLED, "linewidths": 0.8}
        if colors is None
        else {"c": colors, "linewidths": 0}
    )
    ax.scatter(xy[idx, 0], xy[idx, 1], s=size, marker=marker, alpha=0.75, **style)


def _embedding_caption(
    title: str,
    n: int,
    classes: int,
    groups: list[str],
    unlabelled: dict[str, bool],
    colour_by: str = "class",
) -> str:
    by = f"colour by {colour_by}" if classes else "no labels"
    if len(groups) > 1:
        by += " and marker shape by group"
    if unlabelled:
        named = ", ".join(g for g in unlabelled if g)
        by += f"; hollow grey points are unlabelled{f' ({named})' if named else ''}"
    return f"{title}: {n} examples in two dimensions, {by}."


@styled
def embedding_map(
    points: Any,
    labels: Sequence[Any],
    title: str = "Embedding map",
    groups: Sequence[Any] | None = None,
    colour_by: str = "class",
) -> Figure:
    """A 2-D scatter of embedded examples, coloured by label, marker shape by group;
    ``colour_by`` names what the labels are ("class", "cluster") in legend and caption.

    ``points`` is ``[n, 2]`` (e.g. a t-SNE/UMAP/PCA projection); a label of ``None`` means
    the point has none (e.g. target examples in domain adaptation): such points are hollow
    and grey, named in the legend after their group ("target (unlabelled)"), never a class.
    ``groups`` (e.g. the domain, "source"/"target") is optional. Points are drawn in a
    seeded random order so no class hides another; unlabelled ones first, underneath.
    """
    xy = _check_points(points, labels, groups)
    if len(xy) == 0:
        return finish(placeholder("No points to show."), f"{title}: empty.", title)
    missing = np.asarray([_unlabelled(v) for v in labels], dtype=bool)
    label_arr = np.asarray(["" if m else str(v) for v, m in zip(labels, missing, strict=True)])
    group_arr = np.asarray([str(v) for v in groups] if groups is not None else [""] * len(xy))
    classes = sorted(set(label_arr[~missing].tolist()), key=_natural_key)
    group_names = list(dict.fromkeys(group_arr.tolist()))
    # group -> True when all its points are unlabelled, False when only some are
    unlabelled = {
        g: bool(missing[group_arr == g].all()) for g in group_names if missing[group_arr == g].any()
    }
    colors = _colors(len(classes))
    color_of = {c: colors[k] for k, c in enumerate(classes)}
    fig = new_figure(7.8, 5.6)
    ax = fig.add_subplot()
    size = float(np.clip(12000.0 / len(xy), 7.0, 36.0))
    order = np.random.default_rng(0).permutation(len(xy))
    for hollow in (True, False):
        for k, group in enumerate(group_names):
            idx = order[(group_arr[order] == group) & (missing[order] == hollow)]
            marker_colors = None if hollow else [color_of[v] for v in label_arr[idx]]
            _scatter(ax, xy, idx, MARKERS[k % len(MARKERS)], size, marker_colors)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.spines[:].set_visible(True)
    ax.spines[:].set_color("#d5dbe1")
    ax.set_title(title)
    _embedding_legends(fig, classes, colors, group_names, unlabelled, colour_by)
    caption = _embedding_caption(title, len(xy), len(classes), group_names, unlabelled, colour_by)
    alt = (
        f"Scatter plot of {len(xy)} points in {len(classes)} classes and {len(group_names)} groups"
        f"{f', {int(missing.sum())} of them unlabelled' if missing.any() else ''}."
    )
    return finish(fig, caption, alt)
