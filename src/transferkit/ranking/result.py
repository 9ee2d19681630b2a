"""What ``rank`` returns: every score and the rank it implies, the times, a recommendation
with its uncertainty (from resampling the examples), and a plain statement of whether the
scores agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import kendalltau, rankdata

from transferkit.ranking.bootstrap import SUBSAMPLE, BootstrapWins
from transferkit.ranking.scoring import CandidateScores
from transferkit.scores import SCORES

# Shares of resamples at which a recommendation is called firm, or a toss-up.
FIRM = 0.9
TOSS_UP = 0.6


def title(score: str) -> str:
    spec = SCORES.get(score)
    return spec.title or spec.name


def assign_ranks(candidates: Sequence[CandidateScores], scores: Sequence[str]) -> None:
    """Set each score's rank among the backbones that have it (1 = best; ties share the
    better rank)."""
    for score in scores:
        have = [c for c in candidates if c.value(score) is not None]
        sign = -1.0 if SCORES.get(score).higher_is_better else 1.0
        ranks = rankdata([sign * c.value(score) for c in have], method="min")  # type: ignore[operator]
        for c, r in zip(have, ranks, strict=True):
            c.scores[score].rank = int(r)


def winners(candidates: Sequence[CandidateScores], score: str) -> list[str]:
    """The backbones ranked first by ``score`` (several on a tie)."""
    return [c.name for c in candidates if c.scores[score].rank == 1]


@dataclass
class Recommendation:
    """The backbone the primary score puts first, and how often it stays first when the
    examples are resampled."""

    name: str | None
    primary: str
    wins: int = 0
    resamples: int = 0
    runner_up: str | None = None
    runner_up_wins: int = 0
    text: str = ""

    @property
    def share(self) -> float | None:
        return self.wins / self.resamples if self.resamples else None


def recommend(
    candidates: Sequence[CandidateScores],
    primary: str,
    boot: BootstrapWins | None,
    num_examples: int,
) -> Recommendation:
    scored = [c for c in candidates if c.value(primary) is not None]
    if not scored:
        return Recommendation(
            None, primary, text=f"No recommendation: no backbone has a {title(primary)} score."
        )
    best = min(scored, key=lambda c: c.scores[primary].rank or 0).name
    rec = Recommendation(best, primary)
    if len(scored) == 1:
        rec.text = f"Recommended: {best}, the only backbone with a {title(primary)} score."
        return rec
    if boot is None or boot.resamples == 0:
        rec.text = (
            f"Recommended: {best}, best by {title(primary)} (no resampling was run, so how "
            "sure this is was not measured)."
        )
        return rec
    rec.wins, rec.resamples = boot.wins[best], boot.resamples
    others = [(n, w) for n, w in boot.wins.most_common() if n != best]
    rec.runner_up, rec.runner_up_wins = others[0] if others else (None, 0)
    rec.text = _recommendation_text(rec, num_examples)
    return rec


def _recommendation_text(rec: Recommendation, num_examples: int) -> str:
    primary, share = title(rec.primary), rec.share or 0.0
    tally = (
        f"{rec.wins} of {rec.resamples} random subsamples ({SUBSAMPLE:.0%}, without "
        f"replacement) of the {num_examples} examples"
    )
    rival = f" ({rec.runner_up} in {rec.runner_up_wins})" if rec.runner_up else ""
    if share >= FIRM:
        return f"Recommended: {rec.name}, best by {primary} in {tally}{rival}."
    if share >= TOSS_UP:
        return (
            f"Recommended, with some doubt: {rec.name}, best by {primary} in {tally}{rival}; "
            f"if the choice matters, fine-tune both."
        )
    return (
        f"No clear winner: {rec.name} has the best {primary} on all examples but wins only "
        f"{tally}{rival}; fine-tune the leaders, or label more examples."
    )


@dataclass
class Agreement:
    """Which backbone each score puts first, Kendall's tau of each score's order against
    the primary score's, and a plain sentence saying whether they agree."""

    first: dict[str, list[str]]
    tau: dict[str, float | None]
    text: str


def agreement(
    candidates: Sequence[CandidateScores], scores: Sequence[str], primary: str
) -> Agreement:
    ranked = [s for s in scores if sum(c.value(s) is not None for c in candidates) >= 2]
    first = {s: winners(candidates, s) for s in ranked}
    tau = {s: _tau(candidates, s, primary) for s in ranked if s != primary}
    return Agreement(first, tau, _agreement_text(candidates, first, primary))


def _tau(candidates: Sequence[CandidateScores], a: str, b: str) -> float | None:
    pairs = [(c.value(a), c.value(b)) for c in candidates]
    pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
    if len(pairs) < 2:
        return None
    signs = [1.0 if SCORES.get(s).higher_is_better else -1.0 for s in (a, b)]
    x, y = (np.array([p[i] for p in pairs]) * signs[i] for i in (0, 1))
    value = kendalltau(x, y).statistic
    return None if np.isnan(value) else float(value)


def _agreement_text(
    candidates: Sequence[CandidateScores], first: dict[str, list[str]], primary: str
) -> str:
    """ "Agree" when one backbone is first (alone or tied) by every score; otherwise
    which scores put which backbone first."""
    if not first:
        return "Fewer than two backbones could be scored, so there is nothing to compare."
    common = set.intersection(*(set(names) for names in first.values()))
    if common:
        lead = next((n for n in first.get(primary, []) if n in common), min(common))
        ties = [title(s) for s, names in first.items() if len(names) > 1]
        tied = (
            f" ({join_words(ties)} {'tie' if len(ties) > 1 else 'ties'} it with others)"
            if ties
            else ""
        )
        orders = {tuple(c.scores[s].rank for c in candidates) for s in first}
        rest = "agree on the whole order" if len(orders) == 1 else "order the others differently"
        return (
            f"The scores agree on the best: all {len(first)} rank {lead} first{tied}, and "
            f"they {rest}."
        )
    by_winner: dict[str, list[str]] = {}
    for score, names in first.items():
        by_winner.setdefault(join_words(names) + (" equal" if len(names) > 1 else ""), []).append(
            title(score)
        )
    parts = [
        f"{join_words(titles)} {'rank' if len(titles) > 1 else 'ranks'} {name} first"
        for name, titles in by_winner.items()
    ]
    return f"The scores disagree on the best backbone: {'; '.join(parts)}."


def join_words(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass
class RankResult:
    """The outcome of ``rank``: one ``CandidateScores`` per backbone ranked, sorted by the
    primary score (best first), the recommendation, the agreement of the scores, the
    backbones left out and the scores that did not apply (``notes``), and timings."""

    data: str
    modality: str
    num_examples: int
    classes: list[str]
    scores: list[str]
    primary: str
    candidates: list[CandidateScores]
    recommendation: Recommendation
    agreement: Agreement
    notes: list[str] = field(default_factory=list)
    bootstrap_seconds: float = 0.0
    seconds: float = 0.0
    seed: int = 0

    @property
    def recommended(self) -> str | None:
        return self.recommendation.name

    def ranking(self, score: str | None = None) -> list[str]:
        """Backbone names from best to worst by ``score`` (default: the primary score);
        those without that score are left out."""
        score = score or self.primary
        have = [c for c in self.candidates if c.scores.get(score) and c.scores[score].rank]
        return [c.name for c in sorted(have, key=lambda c: c.scores[score].rank or 0)]

    def value(self, backbone: str, score: str) -> float | None:
        return next(c.value(score) for c in self.candidates if c.name == backbone)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (``transferkit rank --format json`` prints it)."""
        return {
            "data": self.data,
            "modality": self.modality,
            "examples": self.num_examples,
            "classes": self.classes,
            "seed": self.seed,
            "primary": self.primary,
            "scores": {
                s: {"title": title(s), "higher_is_better": SCORES.get(s).higher_is_better}
                for s in self.scores
            },
            "backbones": [_candidate_dict(c) for c in self.candidates],
            "recommendation": {
                "backbone": self.recommendation.name,
                "wins": self.recommendation.wins,
                "resamples": self.recommendation.resamples,
                "runner_up": self.recommendation.runner_up,
                "runner_up_wins": self.recommendation.runner_up_wins,
                "text": self.recommendation.text,
            },
            "agreement": {
                "first": self.agreement.first,
                "kendall_tau_with_primary": self.agreement.tau,
                "text": self.agreement.text,
            },
            "notes": self.notes,
            "seconds": {"total": self.seconds, "bootstrap": self.bootstrap_seconds},
        }


def _candidate_dict(c: CandidateScores) -> dict[str, Any]:
    return {
        "backbone": c.name,
        "num_features": c.num_features,
        "has_source_head": c.has_source_head,
        "scores": {
            s: {"value": v.value, "rank": v.rank, "seconds": v.seconds, "reason": v.reason}
            for s, v in c.scores.items()
        },
        "seconds": {
            "build": c.build_seconds,
            "embed": c.embed_seconds,
            "scores": c.score_seconds,
            "bootstrap": c.bootstrap_seconds,
            "total": c.seconds,
        },
        "embedded": c.embedded,
        "from_cache": c.cached,
    }
