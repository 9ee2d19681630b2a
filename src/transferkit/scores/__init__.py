"""Transferability scores: how well a pretrained backbone should transfer to a labelled
target data set, estimated from its features (or its source head's predictions) without
fine-tuning. Each score is a pure function; ``compute_score`` calls any of them by name.
"""

from transferkit.scores.hscore import hscore, ledoit_wolf_shrinkage
from transferkit.scores.knn import knn_accuracy
from transferkit.scores.leep import leep
from transferkit.scores.linear import linear_probe_accuracy
from transferkit.scores.logme import logme
from transferkit.scores.nce import nce, nce_from_probs
from transferkit.scores.registry import (
    SCORES,
    ScoreSpec,
    compute_score,
    list_scores,
    register_score,
)

__all__ = [
    "SCORES",
    "ScoreSpec",
    "compute_score",
    "hscore",
    "knn_accuracy",
    "ledoit_wolf_shrinkage",
    "leep",
    "linear_probe_accuracy",
    "list_scores",
    "logme",
    "nce",
    "nce_from_probs",
    "register_score",
]
