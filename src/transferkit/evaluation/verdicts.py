"""Verdicts a user reads at a glance, each naming what it compares: a badge is good only
when the figure's whole interval clears its baseline, and "not enough evidence" is a
verdict of its own. The reports and the command line print these sentences; nothing
else decides a level."""

from __future__ import annotations

from dataclasses import dataclass

from transferkit.evaluation.results import SplitMetrics

#: Fewer validation examples than this (or than MIN_PER_CLASS of some class) make model
#: selection and calibration rest on very little.
SMALL_VALIDATION = 50
MIN_PER_CLASS = 10


@dataclass(frozen=True)
class Verdict:
    level: str  # "good", "warn", "bad" or "info"
    sentence: str


def accuracy_verdict(m: SplitMetrics, where: str) -> Verdict:
    """Accuracy with its interval against always predicting the split's most frequent
    class: good only when the interval lies above that baseline."""
    low, high = m.accuracy_interval
    head = (
        f"Accuracy {m.accuracy:.3f} (95% interval {low:.3f}-{high:.3f}) and macro-F1 "
        f"{m.macro_f1:.3f} on {m.n} {where} examples"
    )
    base = f"always predicting {m.majority_class!r} ({m.majority_accuracy:.3f})"
    single = m.predicted_classes
    note = f"; it predicted {single[0]!r} for every example" if len(single) == 1 else ""
    if low > m.majority_accuracy:
        return Verdict("good", f"{head}, above {base}{note}.")
    if high < m.majority_accuracy:
        return Verdict("bad", f"{head}: worse than {base}{note}.")
    return Verdict("warn", f"{head}: no better than {base}{note}.")


def validation_warning(counts: dict[str, int] | None, origin: str | None) -> str | None:
    """A warning when model selection rests on a small validation split."""
    if not counts:
        return None
    n = sum(counts.values())
    smallest, k = min(counts.items(), key=lambda kv: kv[1])
    if n >= SMALL_VALIDATION and k >= MIN_PER_CLASS:
        return None
    return (
        f"Model selection rests on {n} validation examples ({k} of class {smallest!r}, from "
        f"{origin}): the chosen epoch, the temperature and the familiarity threshold could "
        "differ with another split, so treat the validation figure as rough and the test "
        "figure as the estimate."
    )


def baseline_comparison(name: str, model: SplitMetrics, probe: SplitMetrics, where: str) -> str:
    """How a strategy that trained the backbone compares with a linear probe on the
    pretrained features, on the same examples."""
    diff = model.accuracy - probe.accuracy
    if diff < 0:
        return (
            f"{name} scored {model.accuracy:.3f} on {where}, below the {probe.accuracy:.3f} of "
            "a linear probe on the pretrained features (same splits): training the backbone "
            "did not pay here."
        )
    return (
        f"{name} scored {model.accuracy:.3f} on {where} against {probe.accuracy:.3f} for a "
        "linear probe on the pretrained features (same splits)."
    )


def adaptation_verdict(method: str, difference: tuple[float, float, float] | None) -> Verdict:
    """Adapted against source-only target accuracy, paired over the same target examples."""
    if difference is None:
        return Verdict("info", f"{method} is the baseline itself: nothing to compare it with.")
    mean, low, high = difference
    span = f"{mean:+.3f} target accuracy (95% interval {low:+.3f} to {high:+.3f})"
    if low > 0:
        return Verdict("good", f"{method} beat source-only on the target by {span}.")
    if high < 0:
        return Verdict("bad", f"{method} did worse than source-only on the target: {span}.")
    return Verdict(
        "warn", f"No detectable difference between {method} and source-only on the target: {span}."
    )
