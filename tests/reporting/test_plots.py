"""Every figure builder returns a decodable, non-blank PNG, also for awkward inputs."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pytest

from tests.reporting import helpers as h
from transferkit.reporting import Figure, plots

NAN = float("nan")


def test_learning_curves_train_and_validation() -> None:
    figure = plots.learning_curves(h.history())
    h.assert_png(figure, min_width=800)
    assert "best epoch 8" in figure.caption and "stopped early" in figure.caption
    assert figure.width is not None and 600 < figure.width < 1100


def test_learning_curves_without_validation_plots_train_only() -> None:
    figure = plots.learning_curves(h.history(validation=False))
    h.assert_png(figure, min_width=800)
    assert "no validation split" in figure.caption


@pytest.mark.parametrize("history", [h.history(epochs=1), {"epochs": h.history(3)["epochs"]}])
def test_learning_curves_one_epoch_or_no_best_epoch(history: dict) -> None:
    h.assert_png(plots.learning_curves(history))


def test_learning_curves_without_epochs_is_a_placeholder() -> None:
    figure = plots.learning_curves({"epochs": []})
    h.assert_png(figure, min_height=80)
    assert "no epochs" in figure.caption


def test_confusion_matrix_two_classes() -> None:
    figure = plots.confusion_matrix([[69, 1], [13, 70]], ["ants", "bees"], "Test split")
    h.assert_png(figure)
    assert "accuracy 0.908" in figure.alt


def test_confusion_matrix_twenty_classes_grows_and_accepts_markup() -> None:
    classes = h.class_names(20)
    classes[3] = "<script>alert(1)</script>"
    small = plots.confusion_matrix([[5, 1], [2, 7]], ["a", "b"])
    large = plots.confusion_matrix(h.metrics(classes).confusion_matrix, classes)
    h.assert_png(large, min_width=1200, min_height=1200)
    assert large.pixel_size[0] > 2 * small.pixel_size[0]


def test_confusion_matrix_checks_its_shape() -> None:
    with pytest.raises(ValueError, match="2 x 2"):
        plots.confusion_matrix([[1, 2, 3]], ["a", "b"])
    h.assert_png(plots.confusion_matrix([], [], "empty"), min_height=80)


@pytest.mark.parametrize("n", [1, 2, 20])
def test_per_class_bars(n: int) -> None:
    per_class = {c: vars(m) for c, m in h.metrics(h.class_names(n)).per_class.items()}
    figure = plots.per_class_bars(per_class)
    h.assert_png(figure, min_width=500)
    assert str(n) in figure.alt


def test_reliability_diagram_before_and_after() -> None:
    before = plots.reliability_diagram(h.reliability_bins(), "Validation")
    both = plots.reliability_diagram(h.reliability_bins(), bins_after=h.reliability_bins(0.01))
    h.assert_png(before)
    h.assert_png(both)
    assert "→" in both.caption and "→" not in before.caption


def test_reliability_diagram_single_bin_lists_and_no_edges() -> None:
    one = {"confidence": [0.8], "accuracy": [0.7], "count": [50], "ece": 0.1}
    h.assert_png(plots.reliability_diagram(one, "One bin"))


def test_reliability_diagram_all_bins_empty() -> None:
    empty = {
        "lower": np.linspace(0, 0.9, 10),
        "upper": np.linspace(0.1, 1, 10),
        "confidence": np.full(10, np.nan),
        "accuracy": np.full(10, np.nan),
        "count": np.zeros(10, dtype=np.int64),
        "ece": NAN,
    }
    figure = plots.reliability_diagram(empty, "Empty")
    h.assert_png(figure)
    assert "n/a" in figure.caption and "nan" not in figure.caption


def test_data_efficiency_with_and_without_bands() -> None:
    curves = h.efficiency_curves()
    h.assert_png(plots.data_efficiency(curves))
    bare = {"probe": {"sizes": [200, 4, 16], "mean": [0.9, 0.6, 0.7]}}  # unsorted, no CI
    h.assert_png(plots.data_efficiency(bare, ylabel="Macro-F1"))
    h.assert_png(plots.data_efficiency({"one": {"sizes": [8], "mean": [0.5]}}))
    h.assert_png(plots.data_efficiency({}), min_height=80)


def test_data_efficiency_labels_the_all_data_point() -> None:
    curve = {"sizes": [4, 122.5, 16], "mean": [0.6, 0.9, 0.7], "labels": ["4", "all (~122)", "16"]}
    figure, fig = h.drawn(plots.data_efficiency, {"probe": curve})
    h.assert_png(figure)
    ax = fig.axes[0]
    ticks = dict(zip(ax.get_xticks(), h.tick_texts(ax.xaxis), strict=True))
    assert ticks == {4.0: "4", 16.0: "16", 122.5: "all (~122)"}
    assert figure.faults == []


def test_embedding_map_with_groups_and_many_points() -> None:
    points, labels, groups = h.embedding(5000, classes=12)
    figure = plots.embedding_map(points, labels, "Domains", groups)
    h.assert_png(figure, min_width=800)
    assert "5000" in figure.alt and "2 groups" in figure.alt


def test_embedding_map_without_groups_and_many_classes() -> None:
    points, labels, _ = h.embedding(300, classes=25)
    h.assert_png(plots.embedding_map(points, labels, "Classes"))


def test_embedding_map_checks_lengths() -> None:
    with pytest.raises(ValueError, match="one entry per point"):
        plots.embedding_map(np.zeros((3, 2)), ["a", "b"], "x")
    with pytest.raises(ValueError, match=r"\[n, 2\]"):
        plots.embedding_map(np.zeros((3, 3)), ["a", "b", "c"], "x")
    h.assert_png(plots.embedding_map(np.zeros((0, 2)), [], "empty"), min_height=80)


def test_bar_comparison_with_negative_values_and_missing_intervals() -> None:
    values = {"head": (0.32, 0.25, 0.4), "layer 1": (-0.1, -0.2, NAN), "layer 2": (0.8, NAN, NAN)}
    figure = plots.bar_comparison(values, "Forgetting", "Accuracy drop")
    h.assert_png(figure)
    assert "head 0.320" in figure.alt
    h.assert_png(plots.bar_comparison({}, "Nothing", "CKA"), min_height=80)


def test_builders_leave_global_matplotlib_state_alone() -> None:
    backend, spines = mpl.get_backend(), mpl.rcParams["axes.spines.top"]
    plots.bar_comparison({"a": (1.0, 0.9, 1.1)}, "t", "y")
    assert mpl.get_backend() == backend
    assert mpl.rcParams["axes.spines.top"] == spines


def test_figure_rejects_bytes_that_are_not_png() -> None:
    with pytest.raises(ValueError, match="PNG"):
        Figure(png=b"GIF89a...", caption="not a png")
