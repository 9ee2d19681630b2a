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
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator

from transferkit.reporting.canvas import (
    PALETTE,
    finish,
    new_figure,
    placeholder,
    short_label,
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


def _tick_labels(ax: Axes, axis: str, labels: Sequence[str], fontsize: float = 9.0) -> None:
    """Category tick labels, rotated when they would not fit side by side."""
    positions = range(len(labels))
    crowded = len(labels) * max((len(s) for s in labels), default=0) > 60 or len(labels) > 8
    if axis == "x":
        if crowded:
            ax.set_xticks(
                positions,
                labels,
                rotation=40,
                ha="right",
                rotation_mode="anchor",
                fontsize=fontsize,
            )
        else:
            ax.set_xticks(positions, labels, fontsize=fontsize)
    else:
        ax.set_yticks(positions, labels, fontsize=fontsize)


# -- learning curves ---------------------------------------------------------------------


def _curve_panel(ax: Axes, epochs: list[Mapping[str, Any]], key: str, best: Any) -> bool:
    """Train and validation ``key`` per epoch; True when there were validation values."""
    x = _floats(e.get("epoch", i + 1) for i, e in enumerate(epochs))
    train = _floats(e.get(f"train_{key}") for e in epochs)
    val = _floats(e.get(f"val_{key}") for e in epochs)
    marker = "o" if len(x) <= 30 else None
    ax.plot(x, train, marker=marker, ms=4, lw=1.8, color=PALETTE[0], label="train")
    has_val = bool(np.isfinite(val).any())
    if has_val:
        ax.plot(x, val, marker=marker, ms=4, lw=1.8, color=PALETTE[1], label="validation")
    if best is not None:
        ax.axvline(float(best), color=MUTED, ls="--", lw=1, label=f"best epoch ({best})")
    ax.set_xlabel("Epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if len(x) == 1:
        ax.set_xlim(x[0] - 1, x[0] + 1)
    ax.legend(loc="best")
    return has_val


@styled
def learning_curves(history: Mapping[str, Any], title: str = "Learning curves") -> Figure:
    """Loss and accuracy per epoch, train against validation, with the best epoch marked.

    ``history``: ``{"epochs": [{"epoch", "train_loss", "train_accuracy", "val_loss",
    "val_accuracy", "seconds"}, ...], "best_epoch": int, "stopped_early": bool}``. Validation
    values that are NaN or missing (no validation split) leave only the training curves.
    """
    epochs = list(history.get("epochs") or [])
    if not epochs:
        return finish(placeholder("No epochs were recorded."), f"{title}: no epochs.", title)
    best = history.get("best_epoch")
    fig = new_figure(10.0, 3.6)
    ax_loss, ax_acc = fig.subplots(1, 2)
    has_val = _curve_panel(ax_loss, epochs, "loss", best)
    _curve_panel(ax_acc, epochs, "accuracy", best)
    ax_loss.set_title("Loss")
    ax_acc.set_title("Accuracy")
    seconds = _floats(e.get("seconds") for e in epochs)
    notes = [f"{len(epochs)} epoch{'s' if len(epochs) != 1 else ''}"]
    if np.isfinite(seconds).any():
        notes[0] += f" in {np.nansum(seconds):.0f} s"
    if best is not None:
        notes.append(f"best epoch {best}")
    if history.get("stopped_early"):
        notes.append("stopped early")
    if not has_val:
        notes.append("no validation split, training curves only")
    caption = f"{title}: loss and accuracy per epoch ({'; '.join(notes)})."
    alt = f"Two line charts of loss and accuracy per epoch, train vs validation; {notes[0]}."
    return finish(fig, caption, alt)


# -- confusion matrix and per-class scores -----------------------------------------------


def _annotate_counts(ax: Axes, counts: np.ndarray, share: np.ndarray, fontsize: float) -> None:
    integral = bool(np.all(counts == np.round(counts)))
    for (i, j), value in np.ndenumerate(counts):
        text = f"{int(value)}" if integral else f"{value:.2f}"
        color = "white" if share[i, j] > 0.55 else "#26313d"
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=color)


@styled
def confusion_matrix(
    matrix: Sequence[Sequence[float]], classes: Sequence[str], title: str = "Confusion matrix"
) -> Figure:
    """Counts with true classes as rows and predictions as columns, coloured by row share."""
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
    labels = [short_label(c) for c in classes]
    _tick_labels(ax, "x", labels, fontsize=max(fontsize, 8.5))
    _tick_labels(ax, "y", labels, fontsize=max(fontsize, 8.5))
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_title(title)
    _annotate_counts(ax, counts, share, fontsize)
    colorbar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.03, aspect=30)
    colorbar.set_label("Share of the true class")
    colorbar.outline.set_visible(False)
    total = counts.sum()
    accuracy = np.trace(counts) / total if total else math.nan
    caption = (
        f"{title}: rows are true classes, columns predictions; numbers are counts and "
        "the colour is the share of each true class."
    )
    alt = (
        f"Confusion matrix of {n} classes, {total:.0f} examples, "
        f"accuracy {format_number(accuracy)}."
    )
    return finish(fig, caption, alt)


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
    for k, metric in enumerate(("precision", "recall", "f1")):
        heights = _floats(per_class[c].get(metric) for c in names)
        label = "F1" if metric == "f1" else metric.capitalize()
        ax.bar(np.arange(n) + (k - 1) * width, heights, width, label=label, color=PALETTE[k])
    support = [per_class[c].get("support") for c in names]
    sep = " " if n > 6 else "\n"
    labels = [
        short_label(c) + ("" if s is None else f"{sep}(n={s:g})")
        for c, s in zip(names, support, strict=True)
    ]
    _tick_labels(ax, "x", labels)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("Score")
    ax.set_title(title)
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    f1 = _floats(per_class[c].get("f1") for c in names)
    worst = names[int(np.nanargmin(f1))] if np.isfinite(f1).any() else "none"
    caption = f"{title}; n is the number of examples of the class."
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


def _reliability_bars(
    ax: Axes, ax_count: Axes, table: Mapping[str, Any], k: int, of: int, name: str
) -> None:
    b = _bin_arrays(table)
    width = (b["upper"] - b["lower"]) / of
    left = b["lower"] + k * width
    filled = np.isfinite(b["accuracy"]) & (b["count"] > 0)
    ece = float(table.get("ece", math.nan))
    label = f"{name} (ECE {ece:.3f})" if math.isfinite(ece) else name
    color = PALETTE[k % len(PALETTE)]
    ax.bar(
        left[filled],
        b["accuracy"][filled],
        width[filled],
        align="edge",
        color=color,
        alpha=0.85,
        edgecolor="white",
        linewidth=0.6,
        label=label,
    )
    ax_count.bar(
        left,
        b["count"],
        width,
        align="edge",
        color=color,
        alpha=0.85,
        edgecolor="white",
        linewidth=0.6,
    )


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
    is the table after temperature scaling, drawn beside it. A lower panel shows the counts.
    """
    tables = [("after temperature scaling", bins_after)] if bins_after is not None else []
    tables.insert(0, ("before" if tables else "model", bins))
    fig = new_figure(6.0, 5.4)
    ax, ax_count = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    for k, (name, table) in enumerate(tables):
        _reliability_bars(ax, ax_count, table, k, len(tables), name)
    ax.plot([0, 1], [0, 1], ls="--", lw=1.2, color=MUTED, label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Accuracy in bin")
    ax.set_title(title)
    ax.legend(loc="upper left")
    ax_count.set_ylabel("Count")
    ax_count.set_xlabel("Confidence (largest predicted probability)")
    ax_count.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    ax_count.set_ylim(bottom=0)
    if not any(_bin_arrays(t)["count"].sum() > 0 for _, t in tables):
        ax.text(0.5, 0.5, "no examples", ha="center", va="center", color=MUTED, fontsize=11)
    eces = [float(t.get("ece", math.nan)) for _, t in tables]
    ece_text = " → ".join(format_number(e) for e in eces)
    caption = (
        f"{title}: accuracy per confidence bin (bars) against perfect calibration "
        f"(diagonal); expected calibration error {ece_text}."
    )
    alt = f"Reliability diagram with {len(_floats(bins['accuracy']))} bins, ECE {ece_text}."
    return finish(fig, caption, alt)


# -- data efficiency and comparisons -----------------------------------------------------


def _efficiency_line(ax: Axes, curve: Mapping[str, Any], name: str, color: Any) -> dict[float, str]:
    """Draw one curve; return its positive sizes with their tick labels."""
    sizes = _floats(curve["sizes"])
    labels = list(curve.get("labels") or [f"{s:g}" for s in sizes])
    order = np.argsort(sizes)
    keep = order[sizes[order] > 0]  # a log axis shows positive sizes only
    mean = _floats(curve["mean"])[keep]
    ax.plot(sizes[keep], mean, marker="o", ms=5, lw=2, color=color, label=short_label(name, 40))
    if curve.get("low") is not None and curve.get("high") is not None:
        low, high = _floats(curve["low"])[keep], _floats(curve["high"])[keep]
        ax.fill_between(sizes[keep], low, high, color=color, alpha=0.16, linewidth=0)
    return {float(sizes[i]): str(labels[i]) for i in keep}


@styled
def data_efficiency(
    curves: Mapping[str, Mapping[str, Any]],
    title: str = "Data efficiency",
    ylabel: str = "Accuracy",
) -> Figure:
    """Score against training examples per class (log scale), one line per strategy.

    ``curves``: ``{"strategy": {"sizes": [...], "mean": [...], "low": [...], "high": [...]}}``;
    ``low``/``high`` (a confidence interval, drawn as a band) and ``labels`` (tick labels
    for the sizes, e.g. "all (~122)") are optional.
    """
    if not curves:
        return finish(placeholder("No curves to show."), f"{title}: empty.", title)
    fig = new_figure(7.4, 4.0)
    ax = fig.add_subplot()
    colors = _colors(len(curves))
    ticks: dict[float, str] = {}
    for k, (name, curve) in enumerate(curves.items()):
        ticks.update(_efficiency_line(ax, curve, name, colors[k]))
    ax.set_xscale("log")
    ax.set_xticks(sorted(ticks), [ticks[t] for t in sorted(ticks)])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("Training examples per class (log scale)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Strategy")
    caption = (
        f"{title}: mean {_in_sentence(ylabel)} against the number of training examples per "
        "class; shaded bands are confidence intervals."
    )
    alt = (
        f"Line chart of {_in_sentence(ylabel)} against examples per class for {len(curves)} curves."
    )
    return finish(fig, caption, alt)


def _error_bars(triples: np.ndarray) -> np.ndarray:
    mean, low, high = triples.T
    err = np.vstack([mean - low, high - mean])
    return np.clip(np.nan_to_num(err, nan=0.0), 0.0, None)


def _value_labels(ax: Axes, triples: np.ndarray) -> None:
    for x, (mean, low, high) in enumerate(triples):
        if not math.isfinite(mean):
            continue
        up = mean >= 0
        end = np.nanmax([mean, high]) if up else np.nanmin([mean, low])
        ax.annotate(
            f"{mean:.3f}",
            (x, end),
            xytext=(0, 4 if up else -4),
            textcoords="offset points",
            ha="center",
            va="bottom" if up else "top",
            fontsize=8.5,
        )


@styled
def bar_comparison(values: Mapping[str, Sequence[float]], title: str, ylabel: str) -> Figure:
    """One bar per name: the mean with an error bar from ``low`` to ``high``.

    ``values``: ``{"name": (mean, low, high)}``; a NaN ``low``/``high`` draws no error bar.
    """
    names = list(values)
    if not names:
        return finish(placeholder("No values to show."), f"{title}: empty.", title)
    triples = np.asarray([_floats(values[n])[:3] for n in names], dtype=float).reshape(-1, 3)
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
    _value_labels(ax, triples)
    _tick_labels(ax, "x", [short_label(s, 28) for s in names])
    ax.margins(y=0.15)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="x", visible=False)
    caption = f"{title}: mean {_in_sentence(ylabel)} per entry; error bars from low to high."
    summary = ", ".join(
        f"{short_label(s)} {m:.3f}" for s, m in zip(names, triples[:, 0], strict=True)
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


def _marker_handle(marker: str, color: Any, label: str) -> Line2D:
    return Line2D([], [], ls="", marker=marker, ms=6, color=color, label=short_label(label))


def _embedding_legends(
    fig: MplFigure, classes: list[str], colors: list[Any], groups: list[str]
) -> None:
    """Figure legends right of the axes (constrained layout makes room for them)."""
    handles = [_marker_handle("o", c, name) for name, c in zip(classes, colors, strict=True)]
    ncol = math.ceil(len(classes) / 24)
    fig.legend(handles=handles, title="Class", loc="outside right upper", ncol=ncol)
    if len(groups) > 1:
        marks = [
            _marker_handle(MARKERS[k % len(MARKERS)], "#4a5560", g) for k, g in enumerate(groups)
        ]
        fig.legend(handles=marks, title="Group", loc="outside right lower")


@styled
def embedding_map(
    points: Any,
    labels: Sequence[Any],
    title: str = "Embedding map",
    groups: Sequence[Any] | None = None,
) -> Figure:
    """A 2-D scatter of embedded examples, coloured by label, marker shape by group.

    ``points`` is ``[n, 2]`` (e.g. a t-SNE/UMAP/PCA projection); ``groups`` (e.g. the
    domain, "source"/"target") is optional. Points are drawn in a seeded random order so no
    class hides another.
    """
    xy = _check_points(points, labels, groups)
    if len(xy) == 0:
        return finish(placeholder("No points to show."), f"{title}: empty.", title)
    label_arr = np.asarray([str(v) for v in labels])
    group_arr = np.asarray([str(v) for v in groups] if groups is not None else [""] * len(xy))
    classes = sorted(set(label_arr.tolist()), key=_natural_key)
    group_names = list(dict.fromkeys(group_arr.tolist()))
    colors = _colors(len(classes))
    color_of = {c: colors[k] for k, c in enumerate(classes)}
    fig = new_figure(7.8, 5.6)
    ax = fig.add_subplot()
    size = float(np.clip(12000.0 / len(xy), 7.0, 36.0))
    order = np.random.default_rng(0).permutation(len(xy))
    for k, group in enumerate(group_names):
        idx = order[group_arr[order] == group]
        ax.scatter(
            xy[idx, 0],
            xy[idx, 1],
            s=size,
            c=[color_of[v] for v in label_arr[idx]],
            marker=MARKERS[k % len(MARKERS)],
            alpha=0.75,
            linewidths=0,
        )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.spines[:].set_visible(True)
    ax.spines[:].set_color("#d5dbe1")
    ax.set_title(title)
    _embedding_legends(fig, classes, colors, group_names)
    by = " and marker shape by group" if len(group_names) > 1 else ""
    caption = f"{title}: {len(xy)} examples in two dimensions, colour by class{by}."
    alt = (
        f"Scatter plot of {len(xy)} points in {len(classes)} classes and {len(group_names)} groups."
    )
    return finish(fig, caption, alt)
