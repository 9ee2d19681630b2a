"""NCE on a worked example and on its limiting cases."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit.scores import nce, nce_from_probs


def test_nce_on_a_hand_computed_example() -> None:
    source = np.array([0, 0, 0, 1, 1, 1])
    labels = np.array([0, 0, 1, 1, 1, 1])
    # Joint P(z, y): (0,0) = 2/6, (0,1) = 1/6, (1,1) = 3/6; P(z=0) = P(z=1) = 1/2.
    # P(y|z): P(0|0) = 2/3, P(1|0) = 1/3, P(1|1) = 1.
    # NCE = sum P(z,y) log P(y|z) = 2/6 log(2/3) + 1/6 log(1/3) + 3/6 log 1.
    expected = 1 / 3 * np.log(2 / 3) + 1 / 6 * np.log(1 / 3)
    assert nce(source, labels) == pytest.approx(expected, rel=1e-12)


def test_nce_is_zero_when_labels_are_a_function_of_source_classes() -> None:
    source = np.array([3, 1, 4, 1, 5, 9])
    labels = np.array([0, 1, 0, 1, 0, 0])
    assert nce(source, labels) == pytest.approx(0.0, abs=1e-15)


def test_nce_of_a_constant_source_is_minus_the_label_entropy() -> None:
    labels = np.array([0, 1, 2, 2])
    entropy = -(2 * 0.25 * np.log(0.25) + 0.5 * np.log(0.5))
    assert nce(np.zeros(4, dtype=int), labels) == pytest.approx(-entropy, rel=1e-12)


def test_nce_from_probs_takes_the_argmax() -> None:
    probs = np.array([[0.6, 0.4], [0.7, 0.3], [0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.1, 0.9]])
    labels = np.array([0, 0, 1, 1, 1, 1])
    assert nce_from_probs(probs, labels) == nce(np.array([0, 0, 0, 1, 1, 1]), labels)
