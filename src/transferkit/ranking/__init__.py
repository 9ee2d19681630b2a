"""Choosing the pretrained model before training: the pieces of ``transferkit.rank``
(``workflows/rank.py``), which scores every candidate backbone on the data with the
transferability scores (``transferkit.scores``) from its frozen features alone, and
recommends one with its uncertainty (from resampling the examples)."""

from transferkit.ranking.config import RankConfig
from transferkit.ranking.result import Agreement, RankResult, Recommendation
from transferkit.ranking.scoring import CandidateScores, ScoreValue

__all__ = [
    "Agreement",
    "CandidateScores",
    "RankConfig",
    "RankResult",
    "Recommendation",
    "ScoreValue",
]
