"""Verdicts and their baselines: a badge is good only when the interval clears always
predicting the most frequent class; the intervals are the published ones."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit.evaluation.metrics import classification_metrics
from transferkit.evaluation.statistics import macro_f1_interval, wilson_interval
from transferkit.evaluation.verdicts import (
    accuracy_verdict,
    adaptation_verdict,
    validation_warning,
)


def one_hot(pred: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[pred] * 0.9 + 0.1 / classes


def test_wilson_interval_matches_the_formula_and_stays_in_range():
    # 81 of 100: p = 0.81, z = 1.96 (Wilson 1927; the textbook value 0.722-0.874)
    low, high = wilson_interval(81, 100)
    assert low == pytest.approx(0.7222, abs=1e-3) and high == pytest.approx(0.8744, abs=1e-3)
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0
    assert wilson_interval(20, 20)[0] < 1.0  # not a point at n successes


def test_macro_f1_interval_surrounds_the_estimate_and_narrows_with_more_examples():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 2000)
    pred = np.where(rng.random(2000) < 0.8, y, rng.integers(0, 3, 2000))
    m = classification_metrics(y, one_hot(pred, 3), ["a", "b", "c"])
    low, high = m.macro_f1_interval
    assert low < m.macro_f1 < high
    small_low, small_high = macro_f1_interval(y[:100], pred[:100], 3)
    assert high - low < small_high - small_low


def test_a_model_at_the_majority_rate_is_no_better_than_predicting_it():
    # shuffled labels: the model predicts "bees" for every photo, as the majority does
    y = np.array([0] * 70 + [1] * 83)
    m = classification_metrics(y, one_hot(np.ones(153, dtype=int), 2), ["ants", "bees"])
    verdict = accuracy_verdict(m, "test")
    assert verdict.level == "warn"
    assert "no better than always predicting 'bees' (0.542)" in verdict.sentence
    assert "it predicted 'bees' for every example" in verdict.sentence


def test_good_only_when_the_whole_interval_clears_the_majority():
    y = np.array([0] * 70 + [1] * 83)
    right = y.copy()
    right[:6] = 1  # 147 of 153 right
    assert (
        accuracy_verdict(classification_metrics(y, one_hot(right, 2), ["a", "b"]), "test").level
        == "good"
    )
    few = np.array([0, 1] * 5)
    close = few.copy()
    close[:3] = 1 - close[:3]  # 7 of 10 right: the interval reaches below 0.5
    assert (
        accuracy_verdict(classification_metrics(few, one_hot(close, 2), ["a", "b"]), "test").level
        == "warn"
    )
    wrong = 1 - y
    assert (
        accuracy_verdict(classification_metrics(y, one_hot(wrong, 2), ["a", "b"]), "test").level
        == "bad"
    )


def test_small_validation_splits_are_named_with_their_consequence():
    assert validation_warning({"ants": 30, "bees": 30}, "val/") is None
    warning = validation_warning({"ants": 25, "bees": 24}, "20% of train/")
    assert "49 validation examples" in warning and "24 of class 'bees'" in warning
    assert "temperature" in warning
    assert "6 of class 'b'" in validation_warning({"a": 60, "b": 6}, "val/")
    assert validation_warning(None, None) is None


def test_adaptation_verdict_compares_with_source_only():
    assert adaptation_verdict("mcc", (0.1, 0.05, 0.15)).level == "good"
    assert adaptation_verdict("mcc", (-0.1, -0.15, -0.05)).level == "bad"
    tie = adaptation_verdict("mcc", (0.01, -0.03, 0.05))
    assert tie.level == "warn" and "No detectable difference" in tie.sentence
