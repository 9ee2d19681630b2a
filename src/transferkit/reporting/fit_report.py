"""The report of one fit: what was trained, how well it does on data no selection touched,
how much to trust its probabilities, which inputs it will not recognise, and what the
adaptation cost the pretrained model."""

from __future__ import annotations

from typing import Any

import numpy as np

from transferkit.reporting import plots
from transferkit.reporting.metrics import metrics_section
from transferkit.reporting.report import Report
from transferkit.reporting.sections import Section, Table

SPLIT_NAMES = {"test": "test", "val": "validation", "cv": "cross-validation on train"}


def pca_2d(features: np.ndarray) -> np.ndarray:
    """The first two principal components (a quick, deterministic embedding map)."""
    centred = features - features.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def _headline(metrics: dict[str, Any], held: str) -> Section:
    m = metrics[held]
    return metrics_section(SPLIT_NAMES[held], m, list(m["per_class"]))


def _calibration(metrics: dict[str, Any], held: str) -> Section | None:
    cal = metrics.get("calibration") or {}
    split = cal.get(held) or cal.get("val")
    if not split:
        return None
    t = cal["temperature"]
    verdict = (
        f"Expected calibration error {split['ece_before']:.3f} before, "
        f"{split['ece_after']:.3f} after temperature scaling (T = {t:.2f})."
    )
    figure = plots.reliability_diagram(
        _arrays(split["reliability_before"]),
        f"Reliability ({SPLIT_NAMES.get(held, held)})",
        bins_after=_arrays(split["reliability_after"]),
    )
    text = (
        f"The temperature was fitted on the {cal['fitted_on']}, never on test; logits are "
        "divided by it. A well-calibrated model is right 80% of the time when it says 80%."
    )
    level = "good" if split["ece_after"] <= split["ece_before"] else "warn"
    return Section("Calibration", text=text, figures=[figure], verdict=verdict, level=level)


def _arrays(table: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            np.array([np.nan if x is None else x for x in v], dtype=float)
            if isinstance(v, list)
            else v
        )
        for k, v in table.items()
    }


def _familiarity(metrics: dict[str, Any]) -> Section | None:
    fam = metrics.get("familiarity") or {}
    if "threshold" not in fam:
        return None
    rates = ", ".join(f"{r:.1%} of {SPLIT_NAMES.get(s, s)}" for s, r in fam["flagged"].items())
    text = (
        f"An input is flagged as unfamiliar when the distance from its features to the "
        f"{fam['k']} nearest training examples exceeds {fam['threshold']:.4f}, farther than "
        f"{fam['quantile']:.0%} of in-distribution examples were ({fam['reference']}). "
        f"Flagged here: {rates}. `transferkit predict` marks such inputs."
    )
    return Section("Unfamiliar inputs", text=text)


def _forgetting(metrics: dict[str, Any]) -> Section | None:
    f = metrics.get("forgetting")
    if not f:
        return None
    rows: list[list[Any]] = [["feature similarity to the pretrained model (linear CKA)", f["cka"]]]
    if "source_agreement" in f:
        rows.append(["source (ImageNet) predictions unchanged", f["source_agreement"]])
    if "paraphrase_auc_before" in f:
        rows.append(["paraphrase detection AUC before", f["paraphrase_auc_before"]])
        rows.append(["paraphrase detection AUC after", f["paraphrase_auc_after"]])
    text = f"Measured on {f['probe']}: 1.0 means the pretrained model's skill is untouched."
    return Section("Forgetting", text=text, table=Table(["measure", "value"], rows))


def _training(metrics: dict[str, Any]) -> Section | None:
    history = metrics.get("history")
    if not history or not history.get("epochs"):
        return None
    warning = metrics.get("overfitting")
    return Section(
        "Training",
        text=" ".join(metrics["strategy"]["notes"]),
        figures=[plots.learning_curves(history)],
        verdict=warning,
        level="warn" if warning else "info",
    )


def _embedding(features: np.ndarray | None, labels: list[str], split: str) -> Section | None:
    if features is None or len(features) < 3:
        return None
    figure = plots.embedding_map(
        pca_2d(features), labels, f"Features of the {SPLIT_NAMES.get(split, split)} examples (PCA)"
    )
    return Section(
        "Embedding map",
        text="How the adapted model's features arrange the "
        "held-out examples: classes that overlap here are the ones it confuses.",
        figures=[figure],
    )


def _run_details(record: dict[str, Any], metrics: dict[str, Any]) -> Section:
    bb, data = record["backbone"], record["data"]["summary"]
    rows: list[list[Any]] = [
        ["backbone", f"{bb['source']} ({bb['num_parameters']:,} parameters)"],
        ["strategy", record["strategy"]["name"]],
        ["trainable parameters", f"{metrics['trainable_parameters']:,}"],
        ["training examples", str(sum((data["train"] or {}).values()))],
        ["validation", data.get("val_origin") or "none (selection by cross-validation)"],
        ["test", data.get("test_origin") or "none"],
        ["seed", str(record["seed"])],
        ["time", f"{metrics['seconds']:.1f} s"],
    ]
    skipped = data.get("skipped") or []
    text = (
        f"{len(skipped)} inputs were skipped as unusable (listed in config.json)."
        if skipped
        else ""
    )
    return Section("Run details", text=text, table=Table(["", ""], rows))


def fit_report(
    metrics: dict[str, Any],
    record: dict[str, Any],
    held: str,
    held_features: np.ndarray | None = None,
    held_labels: list[str] | None = None,
) -> Report:
    bb = record["backbone"]["source"]
    acc = metrics[held]["accuracy"]
    report = Report(
        f"{bb}, {record['strategy']['name']}: accuracy {acc:.3f} on {SPLIT_NAMES[held]}",
        f"{len(record['classes'])} classes: {', '.join(record['classes'][:8])}",
    )
    headline = _headline(metrics, held)
    headline.verdict = (
        f"Accuracy {acc:.3f} on the {SPLIT_NAMES[held]} split ({metrics[held]['n']} examples)."
    )
    headline.level = "good"
    sections = [
        headline,
        _training(metrics),
        _calibration(metrics, held),
        _familiarity(metrics),
        _forgetting(metrics),
        _embedding(held_features, held_labels or [], held),
        _run_details(record, metrics),
    ]
    for section in sections:
        if section is not None:
            report.add(section)
    return report
