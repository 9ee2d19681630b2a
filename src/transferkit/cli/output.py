"""What the CLI prints: run summaries, metric tables, predictions."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table

LABELS = {"test": "test", "val": "validation", "cv": "cross-validation on train"}


def metrics_table(metrics: dict[str, Any], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("class", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for cls, m in metrics["per_class"].items():
        table.add_row(
            cls, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"])
        )
    return table


def print_fit_summary(console: Console, result: Any) -> None:
    m = result.metrics
    for note in result.notes:
        console.print(f"[dim]{note}[/dim]")
    if result.splits.skipped:
        console.print(f"[yellow]Skipped {len(result.splits.skipped)} unusable inputs:[/yellow]")
        for s in result.splits.skipped[:20]:
            console.print(f"  {s.where}: {s.reason}")
        if len(result.splits.skipped) > 20:
            console.print(f"  ... and {len(result.splits.skipped) - 20} more (see config.json)")
    for split in ("val", "cv", "test"):
        if m.get(split):
            s = m[split]
            console.print(
                f"[bold]{LABELS[split]}[/bold] ({s['n']} examples): accuracy "
                f"[bold]{s['accuracy']:.3f}[/bold], macro-F1 {s['macro_f1']:.3f}"
            )
    held = result.held_out
    console.print(metrics_table(m[held], f"Per class, {LABELS[held]}"))
    cal = m.get("calibration") or {}
    held_cal = cal.get(held) or {}
    if held_cal:
        console.print(
            f"Calibration: ECE {held_cal['ece_before']:.3f} -> {held_cal['ece_after']:.3f} with "
            f"temperature {cal['temperature']:.2f} (fitted on the {cal['fitted_on']})."
        )
    fam = m.get("familiarity") or {}
    if fam.get("flagged"):
        rates = ", ".join(f"{v:.1%} of {LABELS.get(k, k)}" for k, v in fam["flagged"].items())
        console.print(f"Unfamiliar-input check: flags {rates} (threshold stored with the model).")
    if m.get("overfitting"):
        console.print(f"[yellow]{m['overfitting']}[/yellow]")
    f = m.get("forgetting")
    if f:
        parts = [f"feature CKA to the pretrained model {f['cka']:.3f}"]
        if "source_agreement" in f:
            parts.append(f"ImageNet predictions unchanged on {f['source_agreement']:.1%}")
        if "paraphrase_auc_after" in f:
            before, after = f["paraphrase_auc_before"], f["paraphrase_auc_after"]
            parts.append(f"paraphrase AUC {before:.3f} -> {after:.3f}")
        console.print(f"Forgetting ({f['probe']}): {'; '.join(parts)}.")
    emb = m["embedding"]
    if emb["computed"] or emb["cached"]:
        console.print(
            f"Backbone passes: {emb['computed']} examples embedded, {emb['cached']} from the cache."
        )
    console.print(
        f"Trainable parameters: {m['trainable_parameters']:,} of {m['total_parameters']:,}."
    )
    console.print(f"Time: {m['seconds']:.1f} s.")
    if result.out is not None:
        console.print(f"Report: {result.out / 'report.html'}")
        console.print(f"Model saved to [bold]{result.out}[/bold]")
    else:
        console.print("Model not saved (no --out given).")


def print_evaluation(
    console: Console, metrics: dict[str, Any], classes: list[str], fmt: str
) -> None:
    if fmt == "json":
        console.print_json(json.dumps(metrics))
        return
    console.print(
        f"accuracy [bold]{metrics['accuracy']:.3f}[/bold], macro-F1 {metrics['macro_f1']:.3f}, "
        f"{metrics['n']} examples"
    )
    console.print(metrics_table(metrics, "Per class"))
    cm = Table(title="Confusion matrix (rows: true, columns: predicted)", title_justify="left")
    cm.add_column("")
    for c in classes:
        cm.add_column(c, justify="right")
    for c, row in zip(classes, metrics["confusion_matrix"], strict=True):
        cm.add_row(c, *map(str, row))
    console.print(cm)


def format_predictions(
    origins: list[str], classes: list[str], proba: Any, fmt: str, unfamiliar: Any = None
) -> str | Table:
    """Predictions as JSON, CSV or a table; ``unfamiliar`` flags inputs unlike the
    training data (a column in every format)."""
    preds = proba.argmax(axis=1)
    flags = [bool(x) for x in unfamiliar] if unfamiliar is not None else [None] * len(origins)
    rows = list(zip(origins, preds, proba, flags, strict=True))
    if fmt == "json":
        return json.dumps(
            [
                {
                    "input": o,
                    "predicted": classes[p],
                    "probabilities": {c: float(v) for c, v in zip(classes, row, strict=True)},
                    "unfamiliar": flag,
                }
                for o, p, row, flag in rows
            ],
            indent=2,
        )
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["input", "predicted", *[f"p_{c}" for c in classes], "unfamiliar"])
        for o, p, row, flag in rows:
            w.writerow([o, classes[p], *[f"{v:.6f}" for v in row], "" if flag is None else flag])
        return buf.getvalue()
    table = Table()
    table.add_column("input", overflow="fold")
    table.add_column("predicted")
    table.add_column("confidence", justify="right")
    table.add_column("note")
    for o, p, row, flag in rows:
        note = "[yellow]unlike the training data[/yellow]" if flag else ""
        table.add_row(o, classes[p], f"{row[p]:.3f}", note)
    return table
