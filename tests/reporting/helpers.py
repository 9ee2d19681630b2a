"""Sample inputs of the figure builders and a report that uses all of them."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable
from typing import Any
from unittest import mock

import numpy as np
from matplotlib.axis import Axis
from matplotlib.figure import Figure as MplFigure
from PIL import Image

from transferkit.evaluation import SplitMetrics, classification_metrics
from transferkit.reporting import Figure, Report, Section, Table, metrics_section, plots
from transferkit.reporting.canvas import drawn_tick_labels

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAN = float("nan")


def assert_png(figure: Figure, min_width: int = 200, min_height: int = 120) -> Image.Image:
    """The figure holds a decodable PNG of a non-trivial size with more than one colour."""
    assert isinstance(figure, Figure)
    assert figure.png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(figure.png))
    image.load()
    assert image.format == "PNG"
    assert image.width >= min_width and image.height >= min_height, image.size
    assert figure.pixel_size == image.size
    colors = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colors is None or len(colors) > 8, "the figure is (almost) blank"
    assert figure.caption and figure.alt
    return image


def history(epochs: int = 12, validation: bool = True) -> dict[str, Any]:
    rows = []
    for e in range(1, epochs + 1):
        rows.append(
            {
                "epoch": e,
                "train_loss": 1.2 * math.exp(-e / 4) + 0.1,
                "train_accuracy": 1 - 0.5 * math.exp(-e / 3),
                "val_loss": 1.1 * math.exp(-e / 5) + 0.25 + 0.01 * max(0, e - 8)
                if validation
                else NAN,
                "val_accuracy": 0.95 - 0.45 * math.exp(-e / 3) if validation else NAN,
                "seconds": 3.5,
            }
        )
    return {"epochs": rows, "best_epoch": min(8, epochs), "stopped_early": True}


def class_names(n: int) -> list[str]:
    base = ["ants", "bees", "wasps", "hornets", "beetles", "moths", "butterflies", "flies"]
    return [base[i] if i < len(base) else f"insect class {i}" for i in range(n)]


def predictions(
    classes: list[str], seed: int = 0, matrix: list[list[int]] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities whose confusion matrix is ``matrix`` (or a random one):
    each example gives 0.8 to its predicted class and shares the rest."""
    rng = np.random.default_rng(seed)
    n = len(classes)
    if matrix is None:
        matrix = rng.integers(0, 4, size=(n, n)) + np.diag(rng.integers(30, 70, size=n))
    pairs = [
        (t, p)
        for t, row in enumerate(np.asarray(matrix))
        for p, k in enumerate(row)
        for _ in range(int(k))
    ]
    y = np.array([t for t, _ in pairs])
    proba = np.full((len(pairs), n), 0.2 / max(1, n - 1))
    proba[np.arange(len(pairs)), [p for _, p in pairs]] = 0.8
    return y, proba


def metrics(
    classes: list[str], seed: int = 0, matrix: list[list[int]] | None = None
) -> SplitMetrics:
    """Real ``classification_metrics`` output for ``matrix`` (or a random one)."""
    y, proba = predictions(classes, seed, matrix)
    return classification_metrics(y, proba, classes)


def reliability_bins(shift: float = 0.08, bins: int = 10, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    edges = np.linspace(0, 1, bins + 1)
    centre = (edges[:-1] + edges[1:]) / 2
    count = np.where(centre < 0.5, 0, rng.integers(5, 60, size=bins)).astype(np.int64)
    confidence = np.where(count > 0, centre + 0.01, np.nan)
    accuracy = np.where(count > 0, np.clip(centre - shift, 0, 1), np.nan)
    ece = float(np.nansum(count * np.abs(accuracy - confidence)) / count.sum())
    return {
        "lower": edges[:-1],
        "upper": edges[1:],
        "confidence": confidence,
        "accuracy": accuracy,
        "count": count,
        "n": int(count.sum()),
        "ece": ece,
    }


def efficiency_curves() -> dict[str, dict[str, list[float]]]:
    sizes = [4, 16, 64, 200]
    out = {}
    for name, top, slope in (
        ("linear probe", 0.86, 0.6),
        ("fine-tune", 0.93, 0.45),
        ("from scratch", 0.7, 0.2),
    ):
        mean = [top - (top - 0.5) * math.exp(-slope * math.log(s)) for s in sizes]
        out[name] = {
            "sizes": sizes,
            "mean": mean,
            "low": [m - 0.05 for m in mean],
            "high": [m + 0.04 for m in mean],
        }
    return out


def embedding(
    n: int = 600, classes: int = 3, seed: int = 0
) -> tuple[np.ndarray, list[str], list[str]]:
    rng = np.random.default_rng(seed)
    names = class_names(classes)
    labels = [names[i % classes] for i in range(n)]
    groups = ["source" if i % 4 else "target" for i in range(n)]
    centres = rng.normal(0, 5, size=(classes, 2))
    points = np.array([centres[i % classes] for i in range(n)]) + rng.normal(0, 1.2, size=(n, 2))
    points[[g == "target" for g in groups]] += 1.5
    return points, labels, groups


def full_report() -> Report:
    """A report with every kind of figure, a table, verdicts of every level."""
    classes = ["ants", "bees"]
    report = Report(
        "Ants vs bees: fine-tuned MobileNetV2", "244 training photos, 153 test photos, seed 0"
    )
    test = metrics_section("test", metrics(classes, matrix=[[69, 1], [13, 70]]), classes)
    test.verdict, test.level = (
        "Accuracy 0.908 (95% CI 0.85-0.95) on the untouched test split",
        "good",
    )
    report.add(test)
    report.add(
        Section(
            "Training",
            text="Fine-tuned for 12 epochs.\n\nEarly stopping at epoch 8.",
            figures=[plots.learning_curves(history())],
        )
    )
    report.add(
        Section(
            "Calibration",
            text="Temperature scaling fitted on validation.",
            figures=[
                plots.reliability_diagram(reliability_bins(), bins_after=reliability_bins(0.01))
            ],
            verdict="ECE 0.090 → 0.020 after temperature scaling",
            level="info",
        )
    )
    report.add(
        Section(
            "Transfer vs scratch",
            figures=[plots.data_efficiency(efficiency_curves())],
            verdict="Transfer beats scratch by 0.21 (95% CI 0.17-0.25)",
            level="good",
            table=Table(
                ["Strategy", "Accuracy", "Examples"],
                [["fine-tune", 0.9083, 200], ["scratch", 0.701, 200]],
            ),
        )
    )
    points, labels, groups = embedding()
    report.add(
        Section(
            "Domain shift",
            figures=[
                plots.embedding_map(points, labels, "Features by domain", groups),
                plots.bar_comparison(
                    {
                        "layer 1": (0.95, 0.93, 0.97),
                        "layer 2": (0.81, 0.77, 0.85),
                        "head": (0.32, 0.25, 0.4),
                    },
                    "CKA similarity to the pretrained model",
                    "CKA",
                ),
            ],
            verdict="Target images sit apart from the source domain",
            level="warn",
        )
    )
    return report


# -- the data behind a figure ------------------------------------------------------------


def drawn(build: Callable[..., Figure], *args: Any, **kwargs: Any) -> tuple[Figure, MplFigure]:
    """Build a figure and keep the matplotlib figure it was drawn from (as checked by
    ``finish``), to assert on what was drawn rather than on the PNG."""
    with mock.patch.object(plots, "finish", wraps=plots.finish) as spy:
        figure = build(*args, **kwargs)
    return figure, spy.call_args.args[0]


def tick_texts(axis: Axis) -> list[str]:
    """The tick labels an axis shows, in order."""
    return [t.get_text() for t in drawn_tick_labels(axis)]


def legend_texts(fig: MplFigure) -> list[str]:
    """The entries of every legend of the figure and of its panels."""
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    return [t.get_text() for legend in legends if legend is not None for t in legend.get_texts()]


# -- every kind of figure, as a reader meets it ------------------------------------------

PACS = ["dog", "elephant", "giraffe", "guitar", "horse", "house", "person"]
GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
GREEK += ["lambda", "mu", "nu", "xi", "omicron"]
LONG_NAMES = [f"{g} very long category name" for g in GREEK]
SPARSE_COUNTS = [0, 0, 0, 0, 0, 1, 3, 40, 100, 2]  # two bins of 1-4 examples among 100


def contrastive_history() -> dict[str, Any]:
    """A contrastive objective: accuracy is NaN in every epoch."""
    out = history()
    out["epochs"] = [{**e, "train_accuracy": NAN, "val_accuracy": NAN} for e in out["epochs"]]
    return out


def sparse_bins() -> dict[str, Any]:
    table = reliability_bins()
    table["count"] = np.array(SPARSE_COUNTS)
    return table


def adaptation_map(n: int = 600) -> tuple[np.ndarray, list[str | None], list[str]]:
    """Source points labelled by class, target points without labels (None)."""
    points, labels, groups = embedding(n)
    return (
        points,
        [c if g == "source" else None for c, g in zip(labels, groups, strict=True)],
        groups,
    )


def _per_class(classes: list[str]) -> dict[str, dict[str, Any]]:
    return {c: vars(m) for c, m in metrics(classes).per_class.items()}


def _matrix(classes: list[str]) -> Figure:
    return plots.confusion_matrix(metrics(classes).confusion_matrix, classes)


def _domains() -> Figure:
    points, labels, groups = embedding()
    return plots.embedding_map(points, labels, "Domains", groups=groups)


def _adaptation(groups: bool) -> Figure:
    points, labels, domains = adaptation_map()
    if groups:
        return plots.embedding_map(points, labels, "Source and target", groups=domains)
    return plots.embedding_map(points, labels, "Partly labelled")


FIGURE_KINDS: dict[str, Callable[[], Figure]] = {
    "learning curves": lambda: plots.learning_curves(history()),
    "learning curves without accuracy": lambda: plots.learning_curves(contrastive_history()),
    "learning curves without validation": lambda: plots.learning_curves(history(validation=False)),
    "learning curves of one epoch": lambda: plots.learning_curves(history(epochs=1)),
    "confusion matrix, 2 classes": lambda: _matrix(["ants", "bees"]),
    "confusion matrix, 7 PACS classes": lambda: _matrix(PACS),
    "confusion matrix, 15 long names": lambda: _matrix(LONG_NAMES),
    "confusion matrix, 30 classes": lambda: _matrix(class_names(30)),
    "per-class bars, 7 classes": lambda: plots.per_class_bars(_per_class(PACS)),
    "per-class bars, 15 long names": lambda: plots.per_class_bars(_per_class(LONG_NAMES)),
    "reliability diagram with sparse bins": lambda: plots.reliability_diagram(
        sparse_bins(), "Validation", bins_after=reliability_bins(0.01)
    ),
    "reliability diagram of 20 bins": lambda: plots.reliability_diagram(
        reliability_bins(bins=20), "Twenty bins"
    ),
    "data efficiency, 3 strategies and a baseline": lambda: plots.data_efficiency(
        efficiency_curves(), baseline=0.52, baseline_label="always predicting 'ants'"
    ),
    "embedding map": lambda: plots.embedding_map(*embedding()[:2], "Classes"),
    "embedding map with groups": lambda: _domains(),
    "embedding map with unlabelled target": lambda: _adaptation(groups=True),
    "embedding map with unlabelled points, no groups": lambda: _adaptation(groups=False),
    "bar comparison": lambda: plots.bar_comparison(
        {"layer 1": (0.95, 0.93, 0.97), "layer 2": (0.81, 0.77, 0.85), "head": (0.32, 0.25, 0.4)},
        "CKA similarity to the pretrained model",
        "CKA",
    ),
    "bar comparison, negative and missing": lambda: plots.bar_comparison(
        {"head": (0.32, 0.25, 0.4), "layer 1": (-0.1, -0.2, NAN), "layer 2": (0.8, NAN, NAN)},
        "Forgetting",
        "Accuracy drop",
    ),
    "bar comparison, 30 entries": lambda: plots.bar_comparison(
        {f"block {i}": (0.5 + i / 100, 0.45, 0.6) for i in range(30)}, "Per block", "CKA"
    ),
}


@functools.cache
def figure_kind(kind: str) -> tuple[Figure, MplFigure]:
    """One of :data:`FIGURE_KINDS`, built once per test session, with its drawn figure."""
    return drawn(FIGURE_KINDS[kind])


def every_figure_report() -> Report:
    """A report page with every kind of figure, one section per kind."""
    report = Report("Every figure", "one section per kind of figure")
    for kind in FIGURE_KINDS:
        report.add(Section(kind, figures=[figure_kind(kind)[0]]))
    return report
