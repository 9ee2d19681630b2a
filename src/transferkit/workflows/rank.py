"""``rank``: which pretrained backbone to transfer from, estimated without training.

A thin composition of the layers below: data from ``load_splits``, backbones from the
registry, features from the feature cache, values from the transferability scores, and
resampling the examples for the recommendation's uncertainty.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from transferkit.data import DataConfig, load_splits
from transferkit.data.memory import given_data
from transferkit.errors import IncompatibleError, WeightsUnavailableError
from transferkit.features import FeatureCache
from transferkit.progress import SILENT, Progress
from transferkit.ranking.bootstrap import BootstrapWins, bootstrap_wins
from transferkit.ranking.candidates import (
    Candidate,
    LeftOut,
    Models,
    modality_problem,
    none_left,
    resolve,
)
from transferkit.ranking.config import RankConfig
from transferkit.ranking.result import (
    RankResult,
    agreement,
    assign_ranks,
    join_words,
    recommend,
    title,
)
from transferkit.ranking.scoring import (
    CandidateScores,
    Embedded,
    embed_candidate,
    score_candidate,
)
from transferkit.scores import SCORES
from transferkit.scores._checks import encode_labels
from transferkit.workflows.common import accepts_xy, feature_cache


@accepts_xy(names_listed=True)
def rank(
    data: Any,
    models: Models = None,
    scores: list[str] | str | None = None,
    *,
    primary: str | None = None,
    bootstrap: int = 100,
    seed: int = 0,
    cache: bool | FeatureCache = True,
    engine: str = "auto",
    progress: Progress = SILENT,
    **data_options: Any,
) -> RankResult:
    """Rank pretrained backbones by how well they should transfer to the labelled data,
    from their frozen features alone.

    Every backbone embeds the training examples once (through the feature cache) and every
    score is computed: each score's ranks, the time each step took, a recommendation with
    its uncertainty, and whether the scores agree. No test split is read.

    Args:
        data: what ``fit`` reads (a path, or ``X`` with ``y``); its training split is scored.
        models: backbone names (a list, or one comma-separated string), ``Backbone``
            objects, or a mapping of display names to either; by default every registered
            backbone of the data's modality whose weights are installed.
        scores, primary, bootstrap: as ``RankConfig`` describes them.
        seed: fixes sampling of the data (``shots``, ``max_train``) and the resamples.
        cache, engine: as for ``fit``; **data_options: options of ``DataConfig``.
    """
    start = time.perf_counter()
    config = RankConfig(scores=scores, primary=primary, bootstrap=bootstrap)  # "a,b" too
    data = given_data(data, data_options)
    splits = load_splits(data, DataConfig.from_dict(data_options), seed, carve_val=False)
    train = splits.train  # one class, or too few examples: one sentence here
    codes, _ = encode_labels(train.encode(splits.classes))
    candidates, left_out = resolve(models, splits.modality)
    names = config.score_names()
    args = (train.inputs, codes, names, splits.modality, feature_cache(cache, engine), progress)
    results, embedded = _score_all(candidates, left_out, *args)
    if not results:
        raise none_left(str(data), left_out, splits.modality)
    prime = config.primary_name()
    assign_ranks(results, names)
    boot = _bootstrap(results, embedded, codes, prime, config.bootstrap, seed, progress)
    results.sort(key=lambda c: (c.scores[prime].rank or len(results) + 1, c.name))
    return RankResult(
        data=str(data),
        modality=splits.modality,
        num_examples=len(train),
        classes=splits.classes,
        scores=names,
        primary=prime,
        candidates=results,
        recommendation=recommend(results, prime, boot, len(train)),
        agreement=agreement(results, names, prime),
        notes=[x.sentence() for x in left_out] + not_applicable_notes(results, names),
        bootstrap_seconds=sum(boot.seconds.values()) if boot else 0.0,
        seconds=time.perf_counter() - start,
        seed=seed,
    )


def _score_all(
    candidates: list[Candidate],
    left_out: list[LeftOut],
    inputs: list[Any],
    codes: np.ndarray,
    names: list[str],
    modality: str,
    cache: FeatureCache,
    progress: Progress,
) -> tuple[list[CandidateScores], dict[str, Embedded]]:
    """Every candidate embedded and scored; those that cannot be join ``left_out``."""
    results, embedded = [], {}
    for candidate in candidates:
        outcome = _run_candidate(candidate, inputs, codes, names, modality, cache, progress)
        if isinstance(outcome, LeftOut):
            left_out.append(outcome)
            progress.note(outcome.sentence())
        else:
            results.append(outcome[0])
            embedded[candidate.name] = outcome[1]
    return results, embedded


def _run_candidate(
    candidate: Candidate,
    inputs: list[Any],
    codes: np.ndarray,
    scores: list[str],
    modality: str,
    cache: FeatureCache,
    progress: Progress,
) -> tuple[CandidateScores, Embedded] | LeftOut:
    """Build, embed and score one backbone, or say why it was left out."""
    start = time.perf_counter()
    try:
        backbone = candidate.build()
    except (WeightsUnavailableError, IncompatibleError) as exc:
        return LeftOut(candidate.name, f"it could not be loaded ({str(exc).rstrip('.')})")
    build_seconds = time.perf_counter() - start
    problem = modality_problem(candidate.name, backbone.modality, modality)
    if problem is not None:
        return problem
    emb, embed_seconds, computed, cached = embed_candidate(
        backbone, candidate.name, inputs, cache, progress
    )
    with progress.status(f"Scoring {candidate.name}"):
        values = score_candidate(candidate.name, emb, codes, scores)
    result = CandidateScores(
        candidate.name,
        backbone.num_features,
        backbone.source_head is not None,
        build_seconds,
        embed_seconds,
        computed,
        cached,
        values,
    )
    return result, emb


def _bootstrap(
    results: list[CandidateScores],
    embedded: dict[str, Embedded],
    codes: np.ndarray,
    primary: str,
    max_resamples: int,
    seed: int,
    progress: Progress,
) -> BootstrapWins | None:
    """Resample the primary score of the backbones that have it, when there are two or
    more to choose between; each backbone's share of the time is added to its own."""
    have = {c.name: embedded[c.name] for c in results if c.value(primary) is not None}
    if len(have) < 2 or max_resamples == 0:
        return None
    with progress.status(f"Bootstrapping {title(primary)} over the examples"):
        boot = bootstrap_wins(have, codes, primary, max_resamples, seed)
    for c in results:
        c.bootstrap_seconds = boot.seconds.get(c.name, 0.0)
    return boot


def not_applicable_notes(results: list[CandidateScores], scores: list[str]) -> list[str]:
    """One sentence per kind of gap: the source-head scores for backbones without a source
    head (grouped), and any other score that could not be computed, with its reason."""
    notes = []
    head_scores = [s for s in scores if SCORES.get(s).needs == "source_probs"]
    headless = [c.name for c in results if not c.has_source_head]
    if head_scores and headless:
        which = " and ".join(title(s) for s in head_scores)
        many = len(headless) > 1
        notes.append(
            f"{which} {'do' if len(head_scores) > 1 else 'does'} not apply to "
            f"{join_words(headless)}, which {'have' if many else 'has'} no source classifier "
            f"to read predictions from; {'their' if many else 'its'} other scores are reported."
        )
    for c in results:
        for s in scores:
            reason = c.scores[s].reason
            if reason is not None and not (s in head_scores and not c.has_source_head):
                notes.append(f"{title(s)} could not be computed for {c.name}: {reason}")
    return notes
