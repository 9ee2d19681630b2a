"""Calibration: ECE and the reliability table against a direct loop over bins and known
values, and temperature scaling against a brute-force minimum of the NLL."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_softmax, softmax

from transferkit.errors import ConfigError
from transferkit.evaluation.calibration import (
    choose_temperature,
    expected_calibration_error,
    fit_temperature,
    mean_nll,
    reliability_table,
)


def calibrated_sample(
    n: int, c: int, scale: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logits, their softmax, and labels drawn from that softmax: calibrated by construction."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, c)) * scale
    p = softmax(z, axis=1)
    u = rng.random(n)
    labels = np.minimum((u[:, None] > np.cumsum(p, axis=1)).sum(axis=1), c - 1)
    return z, p, labels


def ece_reference(proba: np.ndarray, labels: np.ndarray, bins: int) -> float:
    """The ECE of Guo et al. (2017), written as a plain loop over the bins ((m-1)/M, m/M]."""
    conf = proba.max(axis=1)
    correct = proba.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for m in range(bins):
        lo, hi = edges[m], edges[m + 1]
        in_bin = (conf > lo) & (conf <= hi)
        if m == 0:
            in_bin |= conf == 0.0
        if in_bin.any():
            total += in_bin.sum() / len(conf) * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return total


def nll(logits: np.ndarray, labels: np.ndarray, t: float) -> float:
    return float(-log_softmax(logits / t, axis=1)[np.arange(len(labels)), labels].mean())


@pytest.mark.parametrize("bins", [1, 2, 5, 15])
def test_ece_matches_a_loop_over_bins(bins: int) -> None:
    rng = np.random.default_rng(1)
    proba = rng.dirichlet(np.ones(4) * 0.7, size=500)
    labels = rng.integers(0, 4, size=500)
    # Confidences exactly on bin edges go to the lower bin, (lo, hi].
    proba[:3] = [[0.5, 0.5, 0.0, 0.0], [0.6, 0.4, 0.0, 0.0], [0.2, 0.8, 0.0, 0.0]]
    assert expected_calibration_error(proba, labels, bins) == pytest.approx(
        ece_reference(proba, labels, bins), abs=1e-12
    )


def test_ece_known_value_and_its_bin() -> None:
    # Every prediction says 0.9 but only 70 of 100 are right: ECE = |0.7 - 0.9| = 0.2.
    proba = np.tile([0.9, 0.1], (100, 1))
    labels = np.r_[np.zeros(70, dtype=int), np.ones(30, dtype=int)]
    assert expected_calibration_error(proba, labels) == pytest.approx(0.2, abs=1e-12)
    table = reliability_table(proba, labels, bins=10)
    (full,) = np.flatnonzero(table["count"])
    assert (table["lower"][full], table["upper"][full]) == pytest.approx((0.8, 0.9))
    assert table["count"][full] == 100
    assert table["accuracy"][full] == pytest.approx(0.7)
    assert table["confidence"][full] == pytest.approx(0.9)


def test_ece_small_when_calibrated_large_when_over_confident() -> None:
    z, p, labels = calibrated_sample(20000, 4, scale=1.5, seed=2)
    assert expected_calibration_error(p, labels) < 0.02
    over = softmax(3.0 * z, axis=1)  # same predictions, far too sure of them
    assert expected_calibration_error(over, labels) > 0.1
    # Always right with confidence 1: perfectly calibrated.
    onehot = np.eye(4)[labels]
    assert expected_calibration_error(onehot, labels) == 0.0


def test_reliability_table_is_consistent() -> None:
    _, p, labels = calibrated_sample(300, 3, scale=2.0, seed=3)
    table = reliability_table(p, labels, bins=15)
    assert set(table) >= {"lower", "upper", "confidence", "accuracy", "count", "n", "ece"}
    assert table["count"].sum() == table["n"] == 300
    assert table["lower"][0] == 0.0 and table["upper"][-1] == 1.0
    np.testing.assert_allclose(table["upper"] - table["lower"], 1 / 15)
    empty = table["count"] == 0
    # Max probability of 3 classes is >= 1/3: the first bins are empty and say so with NaN.
    assert empty[:4].all()
    assert np.isnan(table["accuracy"][empty]).all() and np.isnan(table["confidence"][empty]).all()
    filled = ~empty
    conf = table["confidence"][filled]
    assert np.all((conf > table["lower"][filled]) & (conf <= table["upper"][filled]))
    weighted = table["count"][filled] / 300 * np.abs(table["accuracy"][filled] - conf)
    assert table["ece"] == pytest.approx(weighted.sum(), abs=1e-12)
    assert table["ece"] == pytest.approx(expected_calibration_error(p, labels), abs=0)


def test_empty_input_has_nan_ece() -> None:
    assert np.isnan(expected_calibration_error(np.zeros((0, 3)), np.zeros(0, dtype=int)))


def test_temperature_recovers_a_known_over_confidence_and_lowers_ece() -> None:
    z, _, labels = calibrated_sample(4000, 5, scale=1.5, seed=4)
    assert fit_temperature(z, labels) == pytest.approx(1.0, rel=0.1)
    over = 3.0 * z
    t = fit_temperature(over, labels)
    assert t == pytest.approx(3.0, rel=0.1)
    before = expected_calibration_error(softmax(over, axis=1), labels)
    after = expected_calibration_error(softmax(over / t, axis=1), labels)
    assert after < before / 3
    # An under-confident model needs T < 1.
    assert fit_temperature(z / 2.0, labels) == pytest.approx(0.5, rel=0.1)


def test_temperature_is_the_nll_minimum_of_a_dense_grid() -> None:
    z, _, labels = calibrated_sample(1000, 3, scale=1.0, seed=5)
    z = 2.5 * z + 4.0  # over-confident and shifted (softmax ignores the shift)
    t = fit_temperature(z, labels)
    grid = np.exp(np.linspace(np.log(0.2), np.log(20.0), 401))
    best = min(nll(z, labels, g) for g in grid)
    assert nll(z, labels, t) <= best + 1e-9
    # A per-row shift of the logits changes no probability, so not the temperature either.
    shifted = z + np.random.default_rng(0).normal(size=(1000, 1)) * 50
    assert fit_temperature(shifted, labels) == pytest.approx(t, rel=1e-4)


def test_temperature_degenerate_inputs_give_one() -> None:
    assert fit_temperature(np.zeros((0, 3)), np.zeros(0, dtype=int)) == 1.0
    assert fit_temperature(np.ones((5, 1)), np.zeros(5, dtype=int)) == 1.0
    assert fit_temperature(np.full((6, 3), 2.0), np.arange(6) % 3) == 1.0


def test_temperature_of_separable_data_stops_at_the_bound() -> None:
    # Every example right with a wide margin: the NLL keeps falling as T -> 0, until the
    # bound, a hundredth of the logits' scale (rows [3, 0]: deviations of 1.5 from the mean).
    z = np.tile([3.0, 0.0], (50, 1))
    t = fit_temperature(z, np.zeros(50, dtype=int))
    assert 0.0149 < t < 0.0152


def test_small_logits_of_a_rarely_wrong_model_are_sharpened() -> None:
    # A strongly regularised linear head: right on 98% of examples, yet its softmax says
    # about 0.3 (six classes, logits of a few hundredths). The NLL-best temperature is far
    # below 0.01, the bound of a search that ignored the logits' scale; it is found, kept,
    # and brings confidence up to near the accuracy.
    rng = np.random.default_rng(7)
    n, c = 420, 6
    y = np.arange(n) % c
    z = rng.normal(scale=0.004, size=(n, c))
    right = rng.random(n) > 0.02
    z[np.arange(n), np.where(right, y, (y + 1) % c)] += 0.02
    assert softmax(z, axis=1).max(axis=1).mean() < 0.2
    choice = choose_temperature(z, y)
    assert choice.kept and choice.temperature < 0.01, choice.reason
    sharp = softmax(z / choice.temperature, axis=1)
    accuracy = float(np.mean(z.argmax(axis=1) == y))
    assert abs(sharp.max(axis=1).mean() - accuracy) < 0.05
    assert expected_calibration_error(sharp, y) < 0.05


def test_temperature_scales_with_the_logits_and_ignores_huge_offsets() -> None:
    # NLL(a z / T) depends on T / a only, so the fitted T scales with a; an offset of 1e6
    # on every logit must neither overflow nor change anything.
    z, _, labels = calibrated_sample(500, 4, scale=1.0, seed=6)
    t = fit_temperature(z, labels)
    assert fit_temperature(50.0 * z + 1e6, labels) == pytest.approx(50.0 * t, rel=1e-3)


def test_bad_input_is_refused() -> None:
    proba = np.full((4, 2), 0.5)
    with pytest.raises(ConfigError, match="bins"):
        expected_calibration_error(proba, np.zeros(4, dtype=int), bins=0)
    with pytest.raises(ValueError, match="one entry per row"):
        expected_calibration_error(proba, np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        reliability_table(proba, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match="NaN"):
        fit_temperature(np.array([[np.nan, 0.0]]), np.array([0]))


def test_a_kept_temperature_lowers_the_log_loss_of_new_examples() -> None:
    z, _, y = calibrated_sample(400, 3, 1.0, seed=1)
    choice = choose_temperature(3.0 * z, y)  # three times over-confident
    assert choice.kept and choice.temperature == pytest.approx(3.0, rel=0.25)
    new_z, _, new_y = calibrated_sample(2000, 3, 1.0, seed=2)
    assert mean_nll(3.0 * new_z, new_y, choice.temperature) < mean_nll(3.0 * new_z, new_y)
    assert "cross-fitting" in choice.reason


def test_no_temperature_from_separable_or_too_few_examples() -> None:
    # every example right, as the 49 validation photos of the demo: any T < 1 "helps" them
    y = np.arange(49) % 2
    z = np.where(np.eye(2)[y] > 0, 8.0, 0.0)
    all_right = choose_temperature(z, y)
    assert all_right.temperature == 1.0 and "all 49 calibration examples" in all_right.reason
    # large logits that carry nothing: the fit runs to its upper bound, never stored
    rng = np.random.default_rng(0)
    bound = choose_temperature(50 * rng.normal(size=(60, 2)), rng.integers(0, 2, 60))
    assert bound.temperature == 1.0 and bound.fitted > 1000  # 100 times their scale, ~35
    assert "ran to its bound" in bound.reason
    few = choose_temperature(np.random.default_rng(0).normal(size=(12, 2)), np.arange(12) % 2)
    assert few.temperature == 1.0 and few.reason.startswith("only 12 calibration examples")


def test_no_temperature_is_kept_that_a_model_directory_cannot_store() -> None:
    from transferkit.evaluation.calibration import LARGEST_STORED_TEMPERATURE
    from transferkit.models.schema import MAX_TEMPERATURE

    assert LARGEST_STORED_TEMPERATURE == MAX_TEMPERATURE
    # huge logits (scale ~41) that carry little: the best T (~1,900) lies inside the search
    # range, which follows the scale, and would lower held-out log-loss, yet a directory
    # holding it could not be loaded
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    z = 60 * rng.normal(size=(400, 2))
    z[np.arange(400), y] += 3.0
    choice = choose_temperature(z, y)
    assert choice.fitted > MAX_TEMPERATURE and choice.temperature == 1.0
    assert "beyond the 1,000 a model directory stores" in choice.reason


def test_a_temperature_that_does_not_help_new_examples_is_not_kept() -> None:
    z, _, y = calibrated_sample(60, 2, 1.0, seed=3)  # already calibrated: nothing to gain
    choice = choose_temperature(z, y)
    assert choice.temperature == 1.0 or choice.nll_after < choice.nll_before
    if choice.temperature == 1.0:
        assert "no clear gain" in choice.reason
