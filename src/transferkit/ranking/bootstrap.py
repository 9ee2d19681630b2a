"""How sure is the recommendation? Resampling the examples, without replacement.

Each resample keeps, within every class, a random 80% of its examples (``SUBSAMPLE``;
at least two, or all when a class has fewer), drawn without replacement, and recomputes
the deciding score of every backbone on the same resampled examples; the share of
resamples a backbone wins is the uncertainty reported.

Not the classic bootstrap (as many examples as there are, drawn with replacement): a
bootstrap resample repeats about a third of its examples, and a repeated example is
evidence no real data set holds. It biased LogME by far more than the differences it
was meant to judge: on 400 Amazon book reviews with 384-d sentence embeddings,
paraphrase-MiniLM-L3-v2 led all-MiniLM-L6-v2 by +0.0055 on all the examples, by -0.124
on average over bootstrap resamples (it won 1 of 40), and by +0.0074 over 80% subsamples
(it won 30 of 40; ``python -m benchmarks.rank_resampling``). Duplicates also leak
across the folds of the cross-validated scores (k-NN, linear probe). Subsampling keeps
every resample a plausible data set (Politis, Romano & Wolf, "Subsampling", 1999).

Recomputing LogME on 1,000 examples of 1,280-d features takes most of a second on two
cores, so resampling stops after ``SETTLED`` resamples when one backbone has won every
one of them, and goes on up to the maximum only when the outcome is in doubt.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from transferkit.ranking.scoring import Embedded, one_blas_thread
from transferkit.scores import SCORES, compute_score

SETTLED = 20
SUBSAMPLE = 0.8  # share of each class kept in a resample


@dataclass
class BootstrapWins:
    """How many of ``resamples`` resamples each backbone won (alone: a resample
    where several share the best value is nobody's win)."""

    wins: Counter[str] = field(default_factory=Counter)
    resamples: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def stratified_resample(
    codes: np.ndarray, rng: np.random.Generator, share: float = SUBSAMPLE
) -> np.ndarray:
    """Indices of one stratified subsample of examples with class codes ``codes``: a
    random ``share`` of every class (at least 2 examples, or all of a smaller class),
    without replacement, in class order."""
    parts = [
        np.sort(rng.choice(np.flatnonzero(codes == c), size=_kept(n, share), replace=False))
        for c, n in _counts(codes)
    ]
    return np.concatenate(parts)


def _kept(n: int, share: float) -> int:
    return min(n, max(round(share * n), 2))


def _counts(codes: np.ndarray) -> list[tuple[int, int]]:
    values, counts = np.unique(codes, return_counts=True)
    return list(zip(values.tolist(), counts.tolist(), strict=True))


def bootstrap_wins(
    inputs: Mapping[str, Embedded],
    codes: np.ndarray,
    score: str,
    max_resamples: int,
    seed: int,
) -> BootstrapWins:
    """Count, over stratified subsamples of the examples, which backbone in
    ``inputs`` has the best ``score``. Every backbone in ``inputs`` must have that score's
    input (features, or source probabilities)."""
    spec = SCORES.get(score)
    sign = 1.0 if spec.higher_is_better else -1.0
    rng = np.random.default_rng(seed)
    result = BootstrapWins(seconds=dict.fromkeys(inputs, 0.0))
    with one_blas_thread():
        while result.resamples < max_resamples:
            _one_resample(inputs, codes, score, sign, rng, result)
            if (
                result.resamples >= SETTLED
                and max(result.wins.values(), default=0) == result.resamples
            ):
                break
    return result


def _one_resample(
    inputs: Mapping[str, Embedded],
    codes: np.ndarray,
    score: str,
    sign: float,
    rng: np.random.Generator,
    result: BootstrapWins,
) -> None:
    """Score every backbone on one resample and count the winner in ``result``."""
    needs = SCORES.get(score).needs
    idx = stratified_resample(codes, rng)
    values = {}
    for name, embedded in inputs.items():
        start = time.perf_counter()
        given = embedded.input_for(score)[idx]  # type: ignore[index]
        values[name] = sign * compute_score(score, **{needs: given}, labels=codes[idx])
        result.seconds[name] += time.perf_counter() - start
    top = max(values.values())
    leaders = [name for name, v in values.items() if v == top]
    if len(leaders) == 1:  # a tie is nobody's win
        result.wins[leaders[0]] += 1
    result.resamples += 1
