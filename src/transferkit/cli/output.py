"""What the CLI prints: run summaries, metric tables, predictions. Every string a user
supplied (paths, class names, texts) is escaped before rich renders it."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from transferkit.evaluation.results import SPLIT_NAMES, FitMetrics, SplitMetrics
from transferkit.evaluation.verdicts import accuracy_verdict

if TYPE_CHECKING:
    from transferkit.models import Predictions


def metrics_table(metrics: SplitMetrics, title: str) -> Table:
    table = Table(title=escape(title), title_justify="left")
    for col in ("class", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for cls, m in metrics.per_class.items():
        table.add_row(
            escape(cls), f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support)
        )
    return table


def print_fit_summary(console: Console, result: Any) -> None:
    m: FitMetrics = result.metrics
    for note in result.notes:
        console.print(f"[dim]{escape(note)}[/dim]")
    skipped = result.splits.skipped
    if skipped:
        console.print(f"[yellow]Skipped {len(skipped)} unusable inputs:[/yellow]")
        for s in skipped[:20]:
            console.print(f"  {escape(s.where)}: {escape(s.reason)}")
        if len(skipped) > 20:
            console.print(f"  ... and {len(skipped) - 20} more (see config.json)")
    for split in ("val", "cv", "test"):
        if split in m.splits:
            console.print(split_line(SPLIT_NAMES[split], m.splits[split]))
    console.print(metrics_table(m.main, f"Per class, {SPLIT_NAMES[m.held_out]}"))
    verdict = accuracy_verdict(m.main, SPLIT_NAMES[m.held_out])
    console.print(f"[{COLOURS[verdict.level]}]{escape(verdict.sentence)}[/]")
    if m.baseline:
        probes = ", ".join(f"{SPLIT_NAMES[k]} {v.accuracy:.3f}" for k, v in m.baseline.items())
        console.print(f"Baseline, a linear probe on the pretrained features: {probes}.")
    for line in judgement_lines(m):
        console.print(line)
    for warning in m.warnings:
        console.print(f"[yellow]{escape(warning)}[/yellow]")
    cost = m.cost
    if cost.embedded or cost.from_cache:
        console.print(
            f"Backbone passes: {cost.embedded} examples embedded, {cost.from_cache} from the cache."
        )
    console.print(
        f"Trainable parameters: {cost.trainable_parameters:,} of {cost.total_parameters:,}."
    )
    console.print(f"Time: {cost.seconds:.1f} s.")
    if result.out is not None:
        console.print(f"Report: {escape(str(result.out / 'report.html'))}", soft_wrap=True)
        console.print(f"Model saved to [bold]{escape(str(result.out))}[/bold]", soft_wrap=True)
    else:
        console.print("Model not saved (no --out given).")


COLOURS = {"good": "green", "warn": "yellow", "bad": "red", "info": "default"}


def split_line(name: str, s: SplitMetrics) -> str:
    low, high = s.accuracy_interval
    return (
        f"[bold]{name}[/bold] ({s.n} examples): accuracy [bold]{s.accuracy:.3f}[/bold] "
        f"\\[{low:.3f}, {high:.3f}], macro-F1 {s.macro_f1:.3f}"
    )


def judgement_lines(m: FitMetrics) -> list[str]:
    """Calibration, the familiarity check, overfitting and forgetting, one line each."""
    lines = []
    cal = m.calibration
    held = cal.splits.get(m.held_out) if cal is not None else None
    if cal is not None and held is not None:
        where = SPLIT_NAMES.get(m.held_out, m.held_out)
        if cal.temperature != 1.0:
            lines.append(
                f"Calibration: temperature {cal.temperature:.2f} on the {cal.fitted_on} "
                f"({cal.reason}); ECE on {where} {held.ece_before:.3f} -> {held.ece_after:.3f}."
            )
        else:
            lines.append(f"Calibration: none, {cal.reason}; ECE on {where} {held.ece_before:.3f}.")
    if m.familiarity is not None and m.familiarity.flagged:
        rates = ", ".join(
            f"{v:.1%} of {SPLIT_NAMES.get(k, k)}" for k, v in m.familiarity.flagged.items()
        )
        lines.append(f"Unfamiliar-input check: flags {rates} (threshold stored with the model).")
    if m.overfitting:
        lines.append(f"[yellow]{escape(m.overfitting)}[/yellow]")
    f = m.forgetting
    if f is not None:
        parts = [f"feature CKA to the pretrained model {f.cka:.3f}"]
        if f.source_agreement is not None:
            parts.append(f"ImageNet predictions unchanged on {f.source_agreement:.1%}")
        if f.paraphrase_auc_before is not None and f.paraphrase_auc_after is not None:
            parts.append(
                f"paraphrase AUC {f.paraphrase_auc_before:.3f} -> {f.paraphrase_auc_after:.3f}"
            )
        if f.speaker_eer_before is not None and f.speaker_eer_after is not None:
            parts.append(
                f"speaker verification error (EER) {f.speaker_eer_before:.3f} -> "
                f"{f.speaker_eer_after:.3f}"
            )
        if f.perplexity_before is not None and f.perplexity_after is not None:
            parts.append(
                f"perplexity on general text {f.perplexity_before:.1f} -> {f.perplexity_after:.1f}"
            )
        lines.append(f"Forgetting ({f.probe}): {'; '.join(parts)}.")
        for a in f.answers or []:
            lines.append(
                f"  {escape(a['prompt'])} before: {escape(_short(a['before']))!r}; after: "
                f"{escape(_short(a['after']))!r}"
            )
    return lines


def print_evaluation(console: Console, metrics: SplitMetrics, classes: list[str], fmt: str) -> None:
    if fmt == "json":
        console.print_json(json.dumps(metrics.to_dict()))
        return
    console.print(split_line("evaluation", metrics))
    verdict = accuracy_verdict(metrics, "evaluation")
    console.print(f"[{COLOURS[verdict.level]}]{escape(verdict.sentence)}[/]")
    for name, part in (metrics.by_familiarity or {}).items():
        accuracy = "-" if part.n == 0 else f"{part.accuracy:.3f}"
        what = "unlike the training data" if name == "unfamiliar" else "like the training data"
        console.print(f"Inputs {what}: {part.n} examples, accuracy {accuracy}.")
    console.print(metrics_table(metrics, "Per class"))
    cm = Table(title="Confusion matrix (rows: true, columns: predicted)", title_justify="left")
    cm.add_column("")
    for c in classes:
        cm.add_column(escape(c), justify="right")
    for c, row in zip(classes, metrics.confusion_matrix, strict=True):
        cm.add_row(escape(c), *map(str, row))
    console.print(cm)


def _shown(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def format_predictions(predictions: Predictions, fmt: str) -> str | Table:
    """Predictions as JSON, CSV or a table. Each row names its input (for texts, the text
    itself); the unfamiliar-input flag is a column in every format, and the table marks a
    flagged input's label as unreliable next to its confidence."""
    classes, proba = predictions.classes, predictions.proba
    flags: list[bool | None] = (
        [bool(x) for x in predictions.unfamiliar]
        if predictions.unfamiliar is not None
        else [None] * len(predictions.origins)
    )
    texts = predictions.texts or [None] * len(predictions.origins)
    rows = list(zip(predictions.origins, texts, proba.argmax(axis=1), proba, flags, strict=True))
    if fmt == "json":
        return json.dumps([_json_row(classes, *row) for row in rows], indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        text = ["text"] if predictions.texts else []
        w.writerow(["input", *text, "predicted", *[f"p_{c}" for c in classes], "unfamiliar"])
        for o, t, p, row, flag in rows:
            cells = [f"{v:.6f}" for v in row]
            shown = [t] if predictions.texts else []
            w.writerow([o, *shown, classes[p], *cells, "" if flag is None else flag])
        return buf.getvalue()
    table = Table()
    table.add_column("input", overflow="fold")
    table.add_column("predicted")
    table.add_column("confidence", justify="right")
    table.add_column("note")
    for o, t, p, row, flag in rows:
        note = "[yellow]unlike the training data: label unreliable[/yellow]" if flag else ""
        table.add_row(escape(_shown(t) if t else o), escape(classes[p]), f"{row[p]:.3f}", note)
    return table


def format_generations(
    prompts: list[str], answers: list[str], fmt: str, markup: bool = True
) -> str:
    """A generator's answers as JSON, CSV or text: each prompt (in bold, escaped, with
    ``markup``), its answer below."""
    if fmt == "json":
        rows = [{"prompt": p, "response": a} for p, a in zip(prompts, answers, strict=True)]
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["prompt", "response"])
        w.writerows(zip(prompts, answers, strict=True))
        return buf.getvalue()
    if not markup:
        return "".join(f"{p}\n{a}\n\n" for p, a in zip(prompts, answers, strict=True))
    return "\n".join(
        f"[bold]{escape(p)}[/bold]\n{escape(a)}\n" for p, a in zip(prompts, answers, strict=True)
    )


def _json_row(
    classes: list[str], origin: str, text: str | None, p: int, row: Any, flag: bool | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"input": origin}
    if text is not None:
        out["text"] = text
    out.update(
        predicted=classes[p],
        probabilities={c: float(v) for c, v in zip(classes, row, strict=True)},
        unfamiliar=flag,
    )
    return out


def _short(text: str, most: int = 60) -> str:
    """One line of at most ``most`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= most else line[: most - 1] + "…"


def print_generate_summary(console: Console, result: Any) -> None:
    """Zero-shot, k-shot and adapted side by side on the test split, what adapting cost
    the model's general skill, and where the model went."""
    for note in result.notes:
        console.print(f"[dim]{escape(note)}[/dim]")
    n = len(result.splits.test)
    table = Table(title=f"Test split ({n} pairs): the same model three ways", title_justify="left")
    for col in ("method", "exact match", "token F1", "invalid outputs", "tokens/s"):
        table.add_column(col)
    for m in result.methods:
        g = m.metrics
        invalid = "" if g.invalid_rate is None else f"{g.invalid_rate:.1%}"
        table.add_row(
            m.name,
            f"{g.exact_match:.3f} [{g.exact_match_ci[0]:.3f}, {g.exact_match_ci[1]:.3f}]",
            f"{g.token_f1:.3f} [{g.token_f1_ci[0]:.3f}, {g.token_f1_ci[1]:.3f}]",
            invalid,
            f"{m.tokens_per_second:.0f}",
        )
    console.print(table)
    best = max(result.methods[:-1], key=lambda m: m.metrics.exact_match)
    gain = result.adapted.metrics.exact_match - best.metrics.exact_match
    console.print(
        f"LoRA against the best prompting ({escape(best.name)}): exact match {gain:+.3f} "
        "(intervals: bootstrap over the test pairs)."
    )
    h = result.history
    console.print(
        f"Training: best validation loss at epoch {h.best_epoch} of {len(h.val_loss)} "
        f"({h.tokens_per_second:.0f} tokens/s)."
    )
    console.print(
        f"Forgetting: perplexity on general text {result.perplexity_before:.1f} -> "
        f"{result.perplexity_after:.1f} (lower is better)."
    )
    for a in result.answers:
        console.print(
            f"  {escape(a['prompt'])} before: {escape(_short(a['before']))!r}; after: "
            f"{escape(_short(a['after']))!r}"
        )
    if result.out is not None:
        console.print(f"Saved the adapters to {escape(str(result.out))}", soft_wrap=True)
