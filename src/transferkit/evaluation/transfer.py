"""Did transfer help? The verdict of a comparison against the from-scratch baseline.

Judged on paired differences over seeds (the same seeds give both recipes the same data
and order), never on a single run: transfer is reported as helping only when the whole
confidence interval of ``transfer - scratch`` lies above zero, as hurting (negative
transfer) when it lies below. An interval across zero is "no detectable gain" only when it
is narrow enough to rule out a difference that matters (``INCONCLUSIVE_WIDTH``); a wider
one is "not enough evidence", a verdict of its own that says how many seeds gave it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transferkit.evaluation.statistics import paired_difference

#: An interval of ``transfer - scratch`` wider than this (in accuracy) that includes zero
#: cannot tell a gain of 5 points from none.
INCONCLUSIVE_WIDTH = 0.10


@dataclass(frozen=True)
class TransferVerdict:
    kind: str  # "gain", "no-gain", "negative" or "inconclusive"
    strategy: str
    size: str
    mean: float
    low: float
    high: float
    n: int
    #: the no-transfer baseline when it is not the pretrained architecture trained from
    #: scratch (``compare --scratch-model mfcc``): the sentence names it
    baseline: str = ""

    @property
    def sentence(self) -> str:
        short = self.baseline or "scratch"
        long = f"{self.baseline} on this data alone" if self.baseline else "training from scratch"
        interval = (
            f"{self.mean:+.3f} accuracy, 95% CI [{self.low:+.3f}, {self.high:+.3f}] "
            f"over {self.n} seeds"
        )
        where = f"at {self.size} examples per class" if self.size != "all" else "on all the data"
        if self.kind == "gain":
            return f"Transfer helps {where}: {self.strategy} beats {short} by {interval}."
        if self.kind == "negative":
            return (
                f"Negative transfer {where}: {long} beats {self.strategy} "
                f"({interval}); the pretrained model hurts here."
            )
        if self.kind == "inconclusive":
            return (
                f"Not enough evidence {where}: {self.strategy} minus {short} is {interval}, "
                f"an interval {self.high - self.low:.2f} wide that includes zero; run more "
                "seeds (--seeds) to tell."
            )
        return (
            f"No detectable gain from transfer {where}: {self.strategy} minus {short} is "
            f"{interval}, an interval that includes zero."
        )


def transfer_verdict(
    strategy: str,
    size: str,
    transfer: Sequence[float],
    scratch: Sequence[float],
    confidence: float = 0.95,
    baseline: str = "",
) -> TransferVerdict:
    """Compare accuracies of a transfer strategy and scratch obtained with the same seeds."""
    d = paired_difference(transfer, scratch, confidence)
    wide = d["high"] - d["low"] > INCONCLUSIVE_WIDTH
    kind = (
        "gain"
        if d["low"] > 0
        else "negative"
        if d["high"] < 0
        else "inconclusive"
        if wide
        else "no-gain"
    )
    return TransferVerdict(kind, strategy, size, d["mean"], d["low"], d["high"], d["n"], baseline)
