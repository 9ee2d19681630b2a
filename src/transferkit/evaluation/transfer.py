"""Did transfer help? The verdict of a comparison against the from-scratch baseline.

Judged on paired differences over seeds (the same seeds give both recipes the same data
and order), never on a single run: transfer is reported as helping only when the whole
confidence interval of ``transfer - scratch`` lies above zero, as hurting (negative
transfer) when it lies below. The seeds measure what changes between runs (training
order, initialisation, which examples a few-shot run draws); they cannot measure the luck
of the one test split every run is scored on, so when the per-example results are known
the interval also carries the test split's sampling error (``examples``): without
it, seeds that all give the same accuracies (a linear probe on all the data is
deterministic) turned a difference of one test example into "transfer helps".

An interval across zero is "no detectable gain" only when it is narrow enough to rule out
a difference that matters (``INCONCLUSIVE_WIDTH``); a wider one is "not enough evidence",
a verdict of its own that says how many seeds gave it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from transferkit.evaluation.statistics import paired_difference, paired_test_half_width

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
    #: test examples whose sampling error the interval includes (0: seeds only)
    examples: int = 0
    #: the share of the interval's half-width that the test split's sampling error alone
    #: would give (0 to 1): near 1, more seeds cannot narrow it; a larger test split can
    test_share: float = 0.0

    @property
    def sentence(self) -> str:
        short = self.baseline or "scratch"
        long = f"{self.baseline} on this data alone" if self.baseline else "training from scratch"
        over = f"{self.n} seeds" + (f" and {self.examples} test examples" if self.examples else "")
        interval = (
            f"{self.mean:+.3f} accuracy, 95% CI [{self.low:+.3f}, {self.high:+.3f}] over {over}"
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
            more = (
                "a larger test split would tell (the seeds agree more than its "
                f"{self.examples} examples can resolve)"
                if self.test_share >= 0.5
                else "run more seeds (--seeds) to tell"
            )
            return (
                f"Not enough evidence {where}: {self.strategy} minus {short} is {interval}, "
                f"an interval {self.high - self.low:.2f} wide that includes zero; {more}."
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
    correct: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None = None,
) -> TransferVerdict:
    """Compare accuracies of a transfer strategy and scratch obtained with the same seeds.

    ``correct``, when given, is each recipe's ``[seeds]`` boolean arrays over the same
    test examples in the same order. The test split's half-width
    (:func:`~transferkit.evaluation.statistics.paired_test_half_width`) is added in
    quadrature to the seeds' t half-width, ``half = sqrt(half_seeds^2 + half_test^2)``,
    around the same mean."""
    d = paired_difference(transfer, scratch, confidence)
    examples, test_share = 0, 0.0
    if correct is not None and _paired(*correct, len(transfer)):
        examples = len(correct[0][0])
        test = paired_test_half_width(*correct, confidence)
        half = float(np.hypot((d["high"] - d["low"]) / 2, test))
        test_share = test / half if half > 0 else 0.0
        d = {**d, "low": d["mean"] - half, "high": d["mean"] + half}
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
    return TransferVerdict(
        kind, strategy, size, d["mean"], d["low"], d["high"], d["n"], baseline, examples, test_share
    )


def _paired(a: Sequence[np.ndarray], b: Sequence[np.ndarray], seeds: int) -> bool:
    """One result per seed on each side, all over the same number of test examples."""
    return len(a) == len(b) == seeds and len({len(x) for x in [*a, *b]}) == 1
