"""The report of one fit: what was trained, how well it does on data no selection touched,
how much to trust its probabilities, which inputs it will not recognise, and what the
adaptation cost the pretrained model."""

from __future__ import annotations

from typing import Any

import numpy as np

from transferkit.evaluation.embedding import pca_2d
from transferkit.evaluation.results import SPLIT_NAMES, FitMetrics
from transferkit.evaluation.verdicts import accuracy_verdict
from transferkit.models.record import ModelRecord
from transferkit.reporting import plots
from transferkit.reporting.metrics import metrics_section
from transferkit.reporting.report import Report
from transferkit.reporting.sections import Section, Table


def _headline(metrics: FitMetrics, held: str) -> Section:
    m = metrics.splits[held]
    return metrics_section(SPLIT_NAMES[held], m, m.classes)


def _baselines(metrics: FitMetrics, held: str) -> Section:
    m = metrics.splits[held]
    rows: list[list[Any]] = [
        ["this model", m.accuracy, _interval(m.accuracy_interval), m.macro_f1],
        [f"always predicting {m.majority_class!r}", m.majority_accuracy, "", ""],
        [f"guessing uniformly among {len(m.classes)} classes", m.chance, "", ""],
    ]
    probe = (metrics.baseline or {}).get(held)
    if probe is not None:
        rows.insert(
            1,
            [
                "linear probe on the pretrained features",
                probe.accuracy,
                _interval(probe.accuracy_interval),
                probe.macro_f1,
            ],
        )
    text = (
        f"Accuracy on the {m.n} {SPLIT_NAMES[held]} examples beside what needs no model, with "
        "95% intervals over those examples (Wilson); macro-F1's interval is "
        f"{_interval(m.macro_f1_interval)} (bootstrap)."
    )
    header = ["predictor", "accuracy", "95% interval", "macro-F1"]
    return Section("Against the baselines", text=text, table=Table(header, rows))


def _interval(bounds: Any) -> str:
    low, high = bounds
    return f"{low:.3f}-{high:.3f}" if low == low else "n/a"


def _warnings(metrics: FitMetrics) -> Section | None:
    if not metrics.warnings:
        return None
    if len(metrics.warnings) == 1:
        return Section("Warnings", verdict=metrics.warnings[0], level="warn")
    verdict = f"{len(metrics.warnings)} things to check before trusting the figures."
    return Section("Warnings", text="\n\n".join(metrics.warnings), verdict=verdict, level="warn")


def _calibration(metrics: FitMetrics, held: str) -> Section | None:
    cal = metrics.calibration
    split = cal.splits.get(held) or cal.splits.get("val") if cal is not None else None
    if cal is None or split is None:
        return None
    if cal.temperature != 1.0:
        verdict = (
            f"Expected calibration error {split.ece_before:.3f} before, "
            f"{split.ece_after:.3f} after temperature scaling (T = {cal.temperature:.2f}; "
            f"{cal.reason})."
        )
    else:
        verdict = (
            f"No temperature scaling: {cal.reason}. Expected calibration error "
            f"{split.ece_before:.3f}."
        )
    figure = plots.reliability_diagram(
        _arrays(split.reliability_before),
        f"Reliability ({SPLIT_NAMES.get(held, held)})",
        bins_after=_arrays(split.reliability_after) if cal.temperature != 1.0 else None,
    )
    text = (
        f"A temperature is fitted on the {cal.fitted_on}, never on test, and kept only when "
        "it lowers the log-loss of examples it was not fitted on; logits are divided by it. "
        "A well-calibrated model is right 80% of the time when it says 80%."
    )
    level = "warn" if split.ece_after > split.ece_before else "info"
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


def _familiarity(metrics: FitMetrics) -> Section | None:
    if metrics.familiarity is None:
        return None
    fam, flagged = metrics.familiarity.described, metrics.familiarity.flagged
    rates = ", ".join(f"{r:.1%} of {SPLIT_NAMES.get(s, s)}" for s, r in flagged.items())
    where = f" Flagged among the held-out examples: {rates}." if rates else ""
    text = (
        f"An input is flagged as unfamiliar when the distance from its features to the "
        f"{fam['k']} nearest training examples exceeds {fam['threshold']:.4f}, farther than "
        f"{fam['quantile']:.0%} of in-distribution examples were ({fam['reference']}).{where} "
        "`transferkit predict` marks such inputs, and their labels are less reliable."
    )
    return Section("Unfamiliar inputs", text=text)


def _forgetting(metrics: FitMetrics) -> list[Section]:
    """The forgetting figures, and a generative model's answers before and after."""
    f = metrics.forgetting
    if f is None:
        return []
    rows: list[list[Any]] = [["feature similarity to the pretrained model (linear CKA)", f.cka]]
    if f.source_agreement is not None:
        rows.append(["source (ImageNet) predictions unchanged", f.source_agreement])
    if f.paraphrase_auc_before is not None:
        rows.append(["paraphrase detection AUC before", f.paraphrase_auc_before])
        rows.append(["paraphrase detection AUC after", f.paraphrase_auc_after])
    if f.speaker_eer_before is not None:
        rows.append(["speaker verification equal error rate before", f.speaker_eer_before])
        rows.append(["speaker verification equal error rate after", f.speaker_eer_after])
    if f.perplexity_before is not None:
        rows.append(["perplexity on general text before (lower is better)", f.perplexity_before])
        rows.append(["perplexity on general text after", f.perplexity_after])
    text = (
        f"Measured on {f.probe}: a similarity of 1.0 means the pretrained model's skill is "
        "untouched (and an error rate that stays put)."
    )
    figures = Section("Forgetting", text=text, table=Table(["measure", "value"], rows))
    if not f.answers:
        return [figures]
    answers = Section(
        "Forgetting: the model's answers to general questions",
        text="Greedy answers, before and after adaptation, to questions unrelated to the task.",
        table=Table(
            ["question", "before", "after"],
            [[a["prompt"], a["before"], a["after"]] for a in f.answers],
        ),
    )
    return [figures, answers]


def _training(metrics: FitMetrics) -> Section | None:
    history = metrics.history.to_dict() if metrics.history is not None else None
    if not history or not history.get("epochs"):
        return None
    warning = metrics.overfitting
    return Section(
        "Training",
        text=". ".join(n[0].upper() + n[1:] for n in metrics.strategy.notes if n) + ".",
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


def _run_details(record: ModelRecord, metrics: FitMetrics) -> Section:
    bb, data = record.backbone, record.data["summary"]
    rows: list[list[Any]] = [
        ["backbone", f"{bb['source']} ({bb['num_parameters']:,} parameters)"],
        ["strategy", record.strategy.name],
        ["trainable parameters", f"{metrics.cost.trainable_parameters:,}"],
        ["training examples", str(sum((data["train"] or {}).values()))],
        ["validation", data.get("val_origin") or "none (selection by cross-validation)"],
        ["test", data.get("test_origin") or "none"],
        ["seed", str(record.seed)],
        ["time", f"{metrics.cost.seconds:.1f} s"],
    ]
    skipped = data.get("skipped") or []
    text = (
        f"{len(skipped)} inputs were skipped as unusable (listed in config.json)."
        if skipped
        else ""
    )
    return Section("Run details", text=text, table=Table(["", ""], rows))


def fit_report(
    metrics: FitMetrics,
    record: ModelRecord,
    held: str,
    held_features: np.ndarray | None = None,
    held_labels: list[str] | None = None,
) -> Report:
    bb = record.backbone["source"]
    acc = metrics.splits[held].accuracy
    report = Report(
        f"{bb}, {record.strategy.name}: accuracy {acc:.3f} on {SPLIT_NAMES[held]}",
        f"{len(record.classes)} classes: {', '.join(record.classes[:8])}",
    )
    headline = _headline(metrics, held)
    verdict = accuracy_verdict(metrics.splits[held], SPLIT_NAMES[held])
    headline.verdict, headline.level = verdict.sentence, verdict.level
    sections = [
        headline,
        _baselines(metrics, held),
        _warnings(metrics),
        _training(metrics),
        _calibration(metrics, held),
        _familiarity(metrics),
        *_forgetting(metrics),
        _embedding(held_features, held_labels or [], held),
        _run_details(record, metrics),
    ]
    for section in sections:
        if section is not None:
            report.add(section)
    return report
