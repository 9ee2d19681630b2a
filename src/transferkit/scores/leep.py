"""LEEP: log expected empirical prediction of the source head."""

from __future__ import annotations

import numpy as np

from transferkit.scores._checks import check_probs, encode_labels, one_hot
from transferkit.scores.registry import register_score

DESCRIPTION = "Log expected empirical prediction of the source head (Nguyen et al., ICML 2020)."


@register_score("leep", title="LEEP", needs="source_probs", description=DESCRIPTION)
def leep(source_probs: np.ndarray, labels: np.ndarray) -> float:
    """LEEP (Nguyen, Hassner, Seeger, Archambeau, "LEEP: A New Measure to Evaluate
    Transferability of Learned Representations", ICML 2020).

        P(y, z) = 1/n sum_i theta(x_i)_z 1[y_i = y],   P(y | z) = P(y, z) / P(z),
        LEEP    = 1/n sum_i log sum_z P(y_i | z) theta(x_i)_z

    Args:
        source_probs: [n, Z] predicted distribution theta(x_i) of the source classifier over
            its Z source classes (rows sum to 1).
        labels: [n] target class labels (at least two classes).

    Returns:
        LEEP (<= 0, higher is better).
    """
    theta = check_probs(source_probs)
    codes, num_classes = encode_labels(labels, len(theta))
    joint = one_hot(codes, num_classes).T @ theta / len(theta)  # [C, Z]
    marginal = joint.sum(axis=0)
    # Source classes never predicted have P(z) = 0; they get weight 0 in every row anyway.
    conditional = np.divide(joint, marginal, out=np.zeros_like(joint), where=marginal > 0)
    eep = np.einsum("iz,iz->i", theta, conditional[codes])
    return float(np.mean(np.log(eep)))
