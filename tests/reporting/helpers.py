"""Sample inputs of the figure builders and a report that uses all of them."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
from PIL import Image

from transferkit.evaluation import SplitMetrics, classification_metrics
from transferkit.reporting import Figure, Report, Section, Table, metrics_section, plots

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
