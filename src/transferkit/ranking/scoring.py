"""One backbone's scores: build it, embed the examples through the feature cache, and
compute every asked-for score from its features or its source head's predictions.

A score that cannot be computed for this backbone (LEEP without a source head) gets a
reason instead of a value; the other scores are still computed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from transferkit.backbones import Backbone
from transferkit.errors import DataError, IncompatibleError
from transferkit.features import FeatureCache, embed
from transferkit.progress import SILENT, Progress
from transferkit.runtime import device_profile
from transferkit.scores import SCORES, compute_score


@dataclass
class ScoreValue:
    """A score of one backbone: its value and rank (1 = best), or why it has none."""

    value: float | None = None
    seconds: float = 0.0
    reason: str | None = None
    rank: int | None = None


@dataclass
class CandidateScores:
    """Everything measured for one backbone; times in seconds."""

    name: str
    num_features: int
    has_source_head: bool
    build_seconds: float
    embed_seconds: float
    embedded: int  # examples run through the backbone
    cached: int  # examples whose features came from the cache
    scores: dict[str, ScoreValue] = field(default_factory=dict)
    bootstrap_seconds: float = 0.0

    @property
    def score_seconds(self) -> float:
        return sum(s.seconds for s in self.scores.values())

    @property
    def seconds(self) -> float:
        return self.build_seconds + self.embed_seconds + self.score_seconds + self.bootstrap_seconds

    def value(self, score: str) -> float | None:
        return self.scores[score].value if score in self.scores else None


@dataclass
class Embedded:
    """A backbone's inputs to the scores: features [n, d] and, when it has a source head,
    that head's predicted probabilities [n, Z]."""

    features: np.ndarray
    source_probs: np.ndarray | None

    def input_for(self, score: str) -> np.ndarray | None:
        return self.features if SCORES.get(score).needs == "features" else self.source_probs


def embed_candidate(
    backbone: Backbone,
    name: str,
    inputs: Sequence[Any],
    cache: FeatureCache,
    progress: Progress = SILENT,
) -> tuple[Embedded, float, int, int]:
    """The backbone's features (and source-head probabilities) of ``inputs``, with the
    seconds taken and how many examples were embedded and taken from the cache."""
    profile = device_profile()
    backbone.to(profile.device).use_channels_last(profile.channels_last)
    start = time.perf_counter()
    features, stats = embed(
        backbone, inputs, cache=cache, progress=progress, description=f"Embedding with {name}"
    )
    probs = source_probabilities(backbone, features)
    return Embedded(features, probs), time.perf_counter() - start, stats.computed, stats.cached


@torch.inference_mode()
def source_probabilities(backbone: Backbone, features: np.ndarray) -> np.ndarray | None:
    """Softmax of the source classifier (e.g. ImageNet's 1000 classes) applied to the
    features it was trained on, in float64; ``None`` without a source head."""
    head = backbone.source_head
    if head is None:
        return None
    param = next(head.parameters(), None)
    x = torch.from_numpy(np.ascontiguousarray(features))
    if param is not None:
        x = x.to(device=param.device, dtype=param.dtype)
    was_training = head.training
    head.eval()
    try:
        logits = head(x).double().cpu()
    finally:
        head.train(was_training)
    return torch.softmax(logits, dim=1).numpy()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run NumPy's and SciPy's linear algebra on one thread. Once torch has run in the
    process, its OpenMP threads and OpenBLAS's own threads fight over the cores: measured
    on 2 cores after embedding, LogME of 1,000 x 1,280 features took 9.5 s with OpenBLAS's
    default 2 threads and 0.3 s with 1 (the cross-validated linear probe 5.2 s and 0.6 s)."""
    with threadpool_limits(1, user_api="blas"):
        yield


def score_candidate(
    name: str, embedded: Embedded, labels: np.ndarray, scores: Sequence[str]
) -> dict[str, ScoreValue]:
    """Every asked-for score of one backbone, timed; one that does not apply gets its
    reason (a clause), and the others are still computed."""
    out = {}
    with one_blas_thread():
        for score in scores:
            out[score] = _score_one(name, embedded, labels, score)
    return out


def _score_one(name: str, embedded: Embedded, labels: np.ndarray, score: str) -> ScoreValue:
    given = embedded.input_for(score)
    if given is None:
        return ScoreValue(reason=f"{name} has no source classifier")
    start = time.perf_counter()
    try:
        value = compute_score(score, **{SCORES.get(score).needs: given}, labels=labels)
    except (DataError, IncompatibleError) as exc:
        return ScoreValue(seconds=time.perf_counter() - start, reason=str(exc))
    return ScoreValue(value, time.perf_counter() - start)
