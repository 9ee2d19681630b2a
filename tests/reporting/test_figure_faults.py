"""Every kind of figure is checked before it becomes a PNG (``Figure.faults``: empty
panels, "nan" in a text, repeated or overlapping labels), the data behind each figure is
what the reader needs, and the check itself catches broken figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure as MplFigure

from tests.reporting import helpers as h
from transferkit.reporting import plots
from transferkit.reporting.canvas import (
    NON_FINITE,
    PALETTE,
    drawn_tick_labels,
    figure_faults,
    finish,
    new_figure,
    overlapping,
    placeholder,
    short_labels,
)

NAN = float("nan")


@pytest.mark.parametrize("kind", list(h.FIGURE_KINDS))
def test_every_kind_of_figure_has_no_faults(kind: str) -> None:
    figure, fig = h.figure_kind(kind)
    h.assert_png(figure)
    assert figure.faults == []
    assert figure_faults(fig) == []  # checked again: the list was not just left empty
    assert NON_FINITE.search(figure.caption) is None and NON_FINITE.search(figure.alt) is None


# -- learning curves ---------------------------------------------------------------------


def test_learning_curves_without_accuracy_draw_only_the_loss() -> None:
    figure, fig = h.figure_kind("learning curves without accuracy")
    assert [ax.get_title() for ax in fig.axes] == ["Loss"]
    assert h.legend_texts(fig) == ["train", "validation", "best epoch (8)"]
    assert "loss per epoch" in figure.caption and "no accuracy was recorded" in figure.caption
    assert figure.alt.startswith("A line chart of loss per epoch, train vs validation")


def test_learning_curves_without_validation_draw_no_validation_curve() -> None:
    figure, fig = h.figure_kind("learning curves without validation")
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Accuracy"]
    for ax in fig.axes:
        curves = [line.get_label() for line in ax.lines if line.get_transform() is ax.transData]
        assert curves == ["train"]
    assert "validation" not in h.legend_texts(fig)
    assert "no validation split" in figure.caption


def test_learning_curves_with_nothing_finite_is_a_placeholder() -> None:
    epochs = [{"epoch": 1, "train_loss": NAN, "train_accuracy": None, "val_loss": math.inf}]
    figure = plots.learning_curves({"epochs": epochs, "best_epoch": 1})
    h.assert_png(figure, min_height=80)
    assert figure.faults == [] and "no finite loss or accuracy" in figure.caption


def test_accuracy_of_one_epoch_is_not_magnified() -> None:
    _, fig = h.figure_kind("learning curves of one epoch")
    low, high = fig.axes[1].get_ylim()
    assert high - low >= 0.1 - 1e-9 and low >= 0.0 and high <= 1.01


# -- confusion matrices and per-class bars -----------------------------------------------


def test_confusion_matrix_of_two_classes_keeps_its_labels_level() -> None:
    _, fig = h.figure_kind("confusion matrix, 2 classes")
    ax = fig.axes[0]
    assert h.tick_texts(ax.xaxis) == ["ants", "bees"] == h.tick_texts(ax.yaxis)
    assert {t.get_rotation() for t in drawn_tick_labels(ax.xaxis)} == {0.0}


def test_confusion_matrix_names_every_pacs_class_apart() -> None:
    figure, fig = h.figure_kind("confusion matrix, 7 PACS classes")
    ax = fig.axes[0]
    assert h.tick_texts(ax.xaxis) == h.PACS == h.tick_texts(ax.yaxis)
    renderer = fig.canvas.get_renderer()
    assert overlapping(drawn_tick_labels(ax.xaxis), renderer, pad=1.0) == []
    counts = h.metrics(h.PACS).confusion_matrix
    assert [t.get_text() for t in ax.texts] == [str(int(v)) for row in counts for v in row]
    assert "numbers are counts" in figure.caption


def test_confusion_matrix_shortens_long_names_and_says_so() -> None:
    figure, fig = h.figure_kind("confusion matrix, 15 long names")
    rows = h.tick_texts(fig.axes[0].yaxis)
    assert [r.split()[0] for r in rows] == h.GREEK and len(set(rows)) == 15
    assert all(len(r) <= 22 for r in rows) and any(r.endswith("…") for r in rows)
    assert "long class names are shortened" in figure.caption


def test_confusion_matrix_of_many_classes_numbers_its_columns() -> None:
    figure, fig = h.figure_kind("confusion matrix, 30 classes")
    ax = fig.axes[0]
    assert h.tick_texts(ax.xaxis) == [str(k) for k in range(1, 31)]
    rows = h.tick_texts(ax.yaxis)
    assert rows[0] == "ants [1]" and rows[29] == "insect class 29 [30]"
    assert "columns are numbered like the rows" in figure.caption


def test_per_class_bars_label_every_class_with_its_support() -> None:
    _, fig = h.figure_kind("per-class bars, 7 classes")
    support = [m.support for m in h.metrics(h.PACS).per_class.values()]
    expected = [f"{c} (n={n})" for c, n in zip(h.PACS, support, strict=True)]
    assert h.tick_texts(fig.axes[0].xaxis) == expected
    assert h.legend_texts(fig) == ["Precision", "Recall", "F1"]


def test_short_labels_stay_apart() -> None:
    names = ["insect class number 11 of many", "insect class number 12 of many", "ants"]
    shortened = short_labels(names)
    assert len(set(shortened)) == 3 and shortened[2] == "ants"
    assert all(len(s) <= 22 for s in shortened)


def test_labels_too_many_for_the_width_are_thinned_and_the_caption_says_so() -> None:
    values = {f"block {i}": (0.5, 0.4, 0.6) for i in range(160)}
    figure, fig = h.drawn(plots.bar_comparison, values, "Per block", "CKA")
    assert figure.faults == []
    shown = h.tick_texts(fig.axes[0].xaxis)
    step = len(values) // len(shown)
    assert step >= 2 and shown == list(values)[::step][: len(shown)]
    assert f"only every {step}" in figure.caption
    assert "too many bars to print their values" in figure.caption and not fig.axes[0].texts


# -- calibration -------------------------------------------------------------------------


def test_reliability_diagram_shows_counts_and_weakens_sparse_bins() -> None:
    figure, fig = h.figure_kind("reliability diagram with sparse bins")
    ax, ax_count = fig.axes[:2]
    before = ax.patches[:5]  # bins 5-9 of the first table: 1, 3, 40, 100 and 2 examples
    assert [bool(p.get_hatch()) for p in before] == [True, True, False, False, True]
    alpha = [p.get_facecolor()[3] for p in before]
    assert alpha[0] < alpha[4] < alpha[1] < 0.3 and alpha[2] == alpha[3] == pytest.approx(0.9)
    assert [t.get_text() for t in ax_count.texts[:5]] == ["1", "3", "40", "100", "2"]
    assert "fewer than 5 examples" in h.legend_texts(fig)
    assert "hatched bars hold fewer than 5 examples" in figure.caption


def test_reliability_diagram_without_examples_is_a_placeholder() -> None:
    empty = h.reliability_bins()
    empty["count"] = np.zeros(10, dtype=np.int64)
    figure = plots.reliability_diagram(empty, "Empty")
    assert figure.faults == [] and "no examples" in figure.caption


# -- data efficiency ---------------------------------------------------------------------


def test_data_efficiency_keeps_strategies_apart_and_draws_the_baseline() -> None:
    figure, fig = h.figure_kind("data efficiency, 3 strategies and a baseline")
    ax = fig.axes[0]
    assert h.legend_texts(fig) == [
        "linear probe",
        "fine-tune",
        "from scratch",
        "always predicting 'ants' (0.520)",
    ]
    across = [line for line in ax.lines if line.get_transform() is not ax.transData]
    assert len(across) == 1 and list(across[0].get_ydata()) == [0.52, 0.52]
    assert across[0].get_linestyle() == ":"
    # no shaded bands to blend into one: each strategy has its own error bars, in its
    # own colour, at points moved slightly sideways
    assert len(ax.containers) == 3
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    xs = np.array([c.lines[0].get_xdata() for c in ax.containers])
    assert np.all(np.diff(xs, axis=0) > 0)
    assert np.allclose(xs / [4, 16, 64, 200], 1.0, atol=0.1)
    colors = [tuple(c.lines[2][0].get_colors()[0]) for c in ax.containers]
    assert len(set(colors)) == 3
    assert h.tick_texts(ax.xaxis) == ["4", "16", "64", "200"]
    assert "the dotted line is always predicting 'ants' (0.520)" in figure.caption


def test_data_efficiency_without_a_baseline_draws_no_line() -> None:
    for baseline in (None, NAN):
        figure, fig = h.drawn(plots.data_efficiency, h.efficiency_curves(), baseline=baseline)
        ax = fig.axes[0]
        assert [line for line in ax.lines if line.get_transform() is not ax.transData] == []
        assert "dotted" not in figure.caption and figure.faults == []


# -- embedding maps ----------------------------------------------------------------------


def _legends(fig: MplFigure) -> list[list[str]]:
    return [[t.get_text() for t in legend.get_texts()] for legend in fig.legends]


def test_unlabelled_target_points_are_not_a_class() -> None:
    figure, fig = h.figure_kind("embedding map with unlabelled target")
    classes, groups = _legends(fig)
    assert classes == ["ants", "bees", "wasps"]
    assert sorted(groups) == ["source", "target (unlabelled)"]
    legend = fig.legends[1]
    markers = {
        t.get_text(): m.get_marker()
        for t, m in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    assert markers["source"] != markers["target (unlabelled)"]  # groups keep their shapes
    ax = fig.axes[0]
    hollow = [c for c in ax.collections if len(c.get_facecolors()) == 0]
    assert len(hollow) == 1 and len(hollow[0].get_offsets()) == 150  # every 4th of 600
    filled = np.concatenate([c.get_facecolors()[:, :3] for c in ax.collections if c not in hollow])
    class_colors = {tuple(np.round(to_rgb(p), 3)) for p in PALETTE[:3]}
    assert {tuple(np.round(c, 3)) for c in filled} == class_colors  # no grey "class"
    assert "hollow grey points are unlabelled (target)" in figure.caption
    assert "3 classes" in figure.alt and "150 of them unlabelled" in figure.alt


def test_embedding_map_groups_without_unlabelled_points() -> None:
    _, fig = h.figure_kind("embedding map with groups")
    classes, groups = _legends(fig)
    assert classes == ["ants", "bees", "wasps"] and sorted(groups) == ["source", "target"]


def test_unlabelled_points_without_groups() -> None:
    _, fig = h.figure_kind("embedding map with unlabelled points, no groups")
    assert _legends(fig) == [["ants", "bees", "wasps"], ["unlabelled"]]


def test_a_nan_label_is_no_label_and_all_unlabelled_has_no_class_legend() -> None:
    points, labels, _ = h.embedding(60)
    labels = [NAN if i % 3 == 0 else c for i, c in enumerate(labels)]
    figure, fig = h.drawn(plots.embedding_map, points, labels, "Missing labels")
    assert _legends(fig) == [["bees", "wasps"], ["unlabelled"]]  # every "ants" was NaN
    assert figure.faults == []
    figure, fig = h.drawn(plots.embedding_map, points, [None] * 60, "None", ["target"] * 60)
    assert _legends(fig) == [["target (unlabelled)"]] and figure.faults == []
    assert "no labels" in figure.caption


# -- bar comparison ----------------------------------------------------------------------


def test_bar_comparison_prints_each_value_once() -> None:
    _, fig = h.figure_kind("bar comparison, negative and missing")
    ax = fig.axes[0]
    assert h.tick_texts(ax.xaxis) == ["head", "layer 1", "layer 2"]
    assert [t.get_text() for t in ax.texts] == ["0.320", "-0.100", "0.800"]
    missing = plots.bar_comparison({"a": (NAN, NAN, NAN), "b": (0.5, 0.4, 0.6)}, "t", "y")
    assert "n/a" in missing.alt and missing.faults == []


def test_crowded_value_labels_turn_upright() -> None:
    _, fig = h.figure_kind("bar comparison, 30 entries")
    assert {t.get_rotation() for t in fig.axes[0].texts} == {90.0}


# -- the check catches broken figures ----------------------------------------------------


def _figure(width: float = 4.0, height: float = 3.0) -> tuple[MplFigure, object]:
    fig = new_figure(width, height)
    return fig, fig.add_subplot()


def test_the_check_catches_level_labels_that_collide() -> None:
    fig, ax = _figure()
    ax.bar(range(7), 1.0)
    ax.set_xticks(range(7), h.PACS, fontsize=12)  # "dog elephantgiraffe"
    faults = figure_faults(fig)
    assert any("x tick labels overlap: 'elephant' and 'giraffe'" in f for f in faults), faults
    assert finish(fig, "caption", "alt").faults == faults


def test_the_check_measures_rotated_labels_as_rotated() -> None:
    fig, ax = _figure(6.0, 3.0)
    ax.bar(range(5), 1.0)
    ax.set_xticks(range(5), h.LONG_NAMES[:5], rotation=40, ha="right", rotation_mode="anchor")
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    boxes = [t.get_window_extent(renderer) for t in drawn_tick_labels(ax.xaxis)]
    assert boxes[0].overlaps(boxes[1])  # their screen-aligned boxes overlap ...
    assert figure_faults(fig) == []  # ... the slanted texts do not
    ax.set_xticks(range(5), h.LONG_NAMES[:5], rotation=5, ha="right", rotation_mode="anchor")
    assert any("x tick labels overlap" in f for f in figure_faults(fig))


def test_the_check_catches_nan_and_inf_in_any_text() -> None:
    fig, ax = _figure()
    ax.plot([0, 1], [0, 1], label="ECE inf")
    ax.set_title("Accuracy nan")
    ax.set_xticks([0, 1], ["NaN", "banana"])
    ax.legend()
    ax.annotate("info: -inf", (0.5, 0.5))
    faults = " | ".join(figure_faults(fig))
    for text in ("'Accuracy nan'", "'ECE inf'", "'NaN'", "'info: -inf'"):
        assert text in faults
    assert "banana" not in faults


def test_the_check_catches_an_empty_panel() -> None:
    fig = new_figure(8.0, 3.0)
    loss, accuracy, _ = fig.subplots(1, 3)  # the third panel stays empty
    loss.plot([1, 2, 3], [1.0, 0.6, 0.4])
    accuracy.plot([1, 2, 3], [NAN, NAN, NAN])  # a contrastive objective's accuracy
    accuracy.axvline(2, ls="--")  # the best-epoch marker is no data
    accuracy.set_title("Accuracy")
    faults = figure_faults(fig)
    assert faults == [
        "panel 2 ('Accuracy'): an empty panel, nothing drawn from finite data",
        "panel 3: an empty panel, nothing drawn from finite data",
    ]
    assert figure_faults(placeholder("Nothing to show.")) == []  # says why it is empty


def test_the_check_catches_repeated_labels_and_colliding_annotations() -> None:
    fig, ax = _figure()
    ax.bar([0, 1, 2], [1, 2, 3])
    ax.set_xticks([0, 1, 2], ["0.1", "0.1", "0.2"])
    ax.text(1, 1, "123")
    ax.text(1, 1, "456")
    faults = figure_faults(fig)
    assert any("x tick labels repeat: ['0.1']" in f for f in faults)
    assert any("texts overlap: '123' and '456'" in f for f in faults)
