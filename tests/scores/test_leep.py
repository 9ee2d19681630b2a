"""LEEP on a worked example and on its limiting cases."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit.errors import DataError
from transferkit.scores import leep


def test_leep_on_a_hand_computed_example() -> None:
    theta = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8]])
    labels = np.array([0, 0, 1, 1])
    # Joint P(y, z) = 1/4 sum_i theta_iz 1[y_i = y]:
    #   y=0: z0 (0.9+0.8)/4 = 0.425, z1 (0.1+0.2)/4 = 0.075
    #   y=1: z0 (0.3+0.2)/4 = 0.125, z1 (0.7+0.8)/4 = 0.375
    # P(z0) = 0.55, P(z1) = 0.45, so
    #   P(0|z0) = 17/22, P(0|z1) = 1/6, P(1|z0) = 5/22, P(1|z1) = 5/6.
    # Expected empirical predictions sum_z P(y_i|z) theta_iz:
    #   x1: 0.9*17/22 + 0.1/6   = 470/660 = 47/66
    #   x2: 0.8*17/22 + 0.2/6   = 430/660 = 43/66
    #   x3: 0.3*5/22 + 0.7*5/6  = 430/660 = 43/66
    #   x4: 0.2*5/22 + 0.8*5/6  = 470/660 = 47/66
    # LEEP = (2 log(47/66) + 2 log(43/66)) / 4.
    expected = (np.log(47 / 66) + np.log(43 / 66)) / 2
    assert leep(theta, labels) == pytest.approx(expected, rel=1e-12)


def test_leep_is_zero_when_the_source_head_is_a_certain_relabelling() -> None:
    theta = np.eye(3)[[0, 1, 2, 2, 1, 0]]
    labels = np.array([5, 7, 9, 9, 7, 5])
    assert leep(theta, labels) == pytest.approx(0.0, abs=1e-12)


def test_leep_of_uninformative_predictions_is_minus_the_label_entropy() -> None:
    theta = np.full((6, 4), 0.25)
    labels = np.array([0, 0, 0, 0, 1, 1])
    entropy = -(4 / 6 * np.log(4 / 6) + 2 / 6 * np.log(2 / 6))
    assert leep(theta, labels) == pytest.approx(-entropy, rel=1e-12)


def test_leep_ignores_source_classes_that_are_never_predicted() -> None:
    theta = np.array([[0.9, 0.0, 0.1], [0.8, 0.0, 0.2], [0.3, 0.0, 0.7], [0.2, 0.0, 0.8]])
    labels = np.array([0, 0, 1, 1])
    assert leep(theta, labels) == pytest.approx(leep(theta[:, [0, 2]], labels), rel=1e-12)


def test_leep_rejects_logits() -> None:
    with pytest.raises(DataError, match="softmax"):
        leep(np.array([[2.0, -1.0], [0.5, 0.3], [1.0, 1.0]]), np.array([0, 1, 1]))
