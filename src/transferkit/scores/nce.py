"""NCE: negative conditional entropy of the target labels given the source labels."""

from __future__ import annotations

import numpy as np

from transferkit.errors import DataError
from transferkit.scores._checks import check_probs, encode_labels
from transferkit.scores.registry import register_score


def nce(source_labels: np.ndarray, labels: np.ndarray) -> float:
    """NCE (Tran, Nguyen, Hassner, "Transferability and Hardness of Supervised
    Classification Tasks", ICCV 2019).

        P(z, y) = 1/n #{i : z_i = z, y_i = y},
        NCE = -H(Y | Z) = sum_{z, y} P(z, y) log (P(z, y) / P(z))

    Args:
        source_labels: [n] hard source-class predictions z_i (argmax of the source head).
        labels: [n] target class labels y_i (at least two classes).

    Returns:
        NCE in [-log C, 0] (higher is better; 0 when y is a function of z).
    """
    z = np.asarray(source_labels)
    if z.ndim != 1:
        raise DataError(
            f"The source labels must be a 1-D array with one predicted class per example, got "
            f"shape {z.shape}; use nce_from_probs for predicted probabilities."
        )
    codes, num_classes = encode_labels(labels, len(z))
    source = np.unique(z, return_inverse=True)[1]
    joint = np.zeros((source.max() + 1, num_classes))
    np.add.at(joint, (source, codes), 1.0 / len(codes))
    conditional = joint / joint.sum(axis=1, keepdims=True)
    seen = joint > 0  # empty cells contribute 0 log 0 = 0
    return float(np.sum(joint[seen] * np.log(conditional[seen])))


DESCRIPTION = (
    "Negative conditional entropy of the labels given the source classes (Tran et al., ICCV 2019)."
)


@register_score("nce", title="NCE", needs="source_probs", description=DESCRIPTION)
def nce_from_probs(source_probs: np.ndarray, labels: np.ndarray) -> float:
    """NCE with z_i = argmax of the source head's predicted distribution [n, Z]."""
    return nce(np.argmax(check_probs(source_probs), axis=1), labels)
