"""Metrics of generated text against reference responses.

* **Exact match**: the share of outputs equal to their reference after normalisation
  (lower case, punctuation and the articles a/an/the removed, whitespace collapsed), as
  the SQuAD evaluation script does (Rajpurkar et al., EMNLP 2016).
* **Token F1**: per example, the harmonic mean of precision and recall of the output's
  normalised tokens against the reference's (a multiset overlap), averaged; the same
  script's partial credit for answers that are nearly right.
* For responses that are labels (a handful of distinct reference responses), the
  **invalid-output rate**: outputs that are none of the references seen in training.

Each mean comes with a 95% percentile bootstrap interval over the test examples
(``statistics.bootstrap_ci``), since one test split is all a run has.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from transferkit.evaluation.statistics import bootstrap_ci

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)
#: at most this many distinct training responses make the responses "labels"
LABEL_LIKE = 20


def normalize(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces."""
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(output: str, reference: str) -> float:
    return float(normalize(output) == normalize(reference))


def token_f1(output: str, reference: str) -> float:
    """F1 of the normalised tokens' multiset overlap (1.0 when both are empty)."""
    out, ref = normalize(output).split(), normalize(reference).split()
    if not out or not ref:
        return float(out == ref)
    common = sum((Counter(out) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(out), common / len(ref)
    return 2 * precision * recall / (precision + recall)


@dataclass
class GenerationMetrics:
    """Scores of ``n`` outputs against their references, each mean with its 95% bootstrap
    interval over the examples; ``invalid_rate`` only when the responses are labels."""

    n: int
    exact_match: float
    exact_match_ci: tuple[float, float]
    token_f1: float
    token_f1_ci: tuple[float, float]
    invalid_rate: float | None = None


def score_generations(
    outputs: Sequence[str],
    references: Sequence[str],
    train_responses: Sequence[str] = (),
    seed: int = 0,
) -> GenerationMetrics:
    """Exact match and token F1 of ``outputs`` against ``references`` (same order); with
    ``train_responses`` of at most ``LABEL_LIKE`` distinct values, also the share of
    outputs that are none of them."""
    if len(outputs) != len(references):
        raise ValueError(f"{len(outputs)} outputs for {len(references)} references.")
    em = np.array([exact_match(o, r) for o, r in zip(outputs, references, strict=True)])
    f1 = np.array([token_f1(o, r) for o, r in zip(outputs, references, strict=True)])
    labels = {normalize(r) for r in train_responses}
    invalid = None
    if labels and len(labels) <= LABEL_LIKE:
        invalid = float(np.mean([normalize(o) not in labels for o in outputs]))
    em_mean, em_low, em_high = _interval(em, seed)
    f1_mean, f1_low, f1_high = _interval(f1, seed)
    return GenerationMetrics(
        n=len(outputs),
        exact_match=em_mean,
        exact_match_ci=(em_low, em_high),
        token_f1=f1_mean,
        token_f1_ci=(f1_low, f1_high),
        invalid_rate=invalid,
    )


def _interval(values: np.ndarray, seed: int) -> tuple[float, float, float]:
    if len(values) < 2:
        v = float(values.mean()) if len(values) else float("nan")
        return v, float("nan"), float("nan")
    return bootstrap_ci(values, np.mean, seed=seed)
