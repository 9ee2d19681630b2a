"""Intervals against textbook values and scipy, their coverage over simulated repetitions,
and the error sentences a user sees."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from transferkit.errors import ConfigError
from transferkit.evaluation.statistics import bootstrap_ci, mean_ci, paired_difference


def test_mean_ci_textbook_example() -> None:
    # 1..5: mean 3, s = sqrt(2.5), t_{0.975, 4} = 2.776445 -> 3 +- 1.963243.
    mean, low, high = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mean == 3.0
    assert (low, high) == pytest.approx((3 - 1.963243, 3 + 1.963243), abs=1e-6)
    values = np.random.default_rng(0).normal(size=7)
    expected = stats.t.interval(0.9, df=6, loc=values.mean(), scale=stats.sem(values))
    assert mean_ci(values, confidence=0.9)[1:] == pytest.approx(expected, rel=1e-12)


def test_mean_ci_of_one_value_has_no_interval() -> None:
    mean, low, high = mean_ci([0.83])
    assert mean == 0.83 and np.isnan(low) and np.isnan(high)
    assert mean_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)


def test_mean_ci_of_accuracies_stays_within_what_accuracy_can_be() -> None:
    accs = [0.99, 0.95, 1.0]  # the t-interval over 3 seeds reaches past 1
    unbounded, bounded = mean_ci(accs), mean_ci(accs, bounds=(0.0, 1.0))
    assert unbounded[2] > 1.0 and bounded[2] == 1.0
    assert bounded[:2] == unbounded[:2]


def test_mean_ci_covers_the_true_mean_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(42)
    hits = 0
    for _ in range(400):
        _, low, high = mean_ci(rng.normal(loc=10.0, scale=2.0, size=5))
        hits += low <= 10.0 <= high
    assert 0.9 <= hits / 400 <= 0.99


def test_paired_difference_matches_ttest_rel() -> None:
    rng = np.random.default_rng(1)
    seed_effect = rng.normal(scale=3.0, size=6)  # shared by both recipes
    a = 80 + seed_effect + rng.normal(scale=0.5, size=6) + 1.0
    b = 80 + seed_effect + rng.normal(scale=0.5, size=6)
    result = paired_difference(a, b)
    assert set(result) == {"mean", "low", "high", "n", "p_value"}
    assert result["n"] == 6
    assert result["p_value"] == pytest.approx(stats.ttest_rel(a, b).pvalue, rel=1e-10)
    assert result["mean"] == pytest.approx(np.mean(a - b))
    low, high = stats.t.interval(0.95, df=5, loc=np.mean(a - b), scale=stats.sem(a - b))
    assert (result["low"], result["high"]) == pytest.approx((low, high), rel=1e-12)
    # Pairing removes the seed effect: the paired interval is far narrower than the
    # difference of two unpaired ones would suggest.
    assert result["high"] - result["low"] < (mean_ci(a)[2] - mean_ci(a)[1]) / 2
    assert paired_difference(b, a)["p_value"] == pytest.approx(result["p_value"])


def test_paired_interval_covers_the_true_difference() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(400):
        seeds = rng.normal(scale=5.0, size=4)
        a = seeds + 0.3 + rng.normal(scale=1.0, size=4)
        b = seeds + rng.normal(scale=1.0, size=4)
        r = paired_difference(a, b)
        hits += r["low"] <= 0.3 <= r["high"]
    assert 0.9 <= hits / 400 <= 0.99


def test_paired_difference_edge_cases_and_error_sentences() -> None:
    same = paired_difference([0.8, 0.9], [0.8, 0.9])
    assert same["mean"] == same["low"] == same["high"] == 0.0
    assert np.isnan(same["p_value"])
    with pytest.raises(ConfigError, match=r"needs at least 2 seeds; pass --seeds 2 or more\.$"):
        paired_difference([0.9], [0.8])
    with pytest.raises(ConfigError, match="one value of each recipe per seed, but got 3 and 2"):
        paired_difference([0.9, 0.8, 0.7], [0.8, 0.7])
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        paired_difference([0.9, 0.8], [0.8, 0.7], confidence=95)
    with pytest.raises(ConfigError, match="flat list"):
        mean_ci([[1.0, 2.0]])
    with pytest.raises(ConfigError, match="at least one value"):
        mean_ci([])


def test_bootstrap_of_a_large_sample_agrees_with_the_normal_interval() -> None:
    values = np.random.default_rng(3).exponential(size=2000)
    estimate, low, high = bootstrap_ci(values, np.mean, n_boot=1000, seed=0)
    assert estimate == pytest.approx(values.mean())
    half = 1.96 * values.std(ddof=1) / np.sqrt(len(values))
    assert low == pytest.approx(values.mean() - half, abs=0.15 * half)
    assert high == pytest.approx(values.mean() + half, abs=0.15 * half)


def test_bootstrap_covers_the_true_mean_in_most_repetitions() -> None:
    rng = np.random.default_rng(11)
    hits = 0
    for i in range(150):
        sample = rng.normal(loc=1.0, size=40)
        _, low, high = bootstrap_ci(sample, np.mean, n_boot=250, seed=i)
        hits += low <= 1.0 <= high
    # The percentile interval runs a little narrow at n = 40 (about 93% here).
    assert 0.88 <= hits / 150 <= 0.99


def test_bootstrap_keeps_pairs_together_and_is_seeded() -> None:
    rng = np.random.default_rng(5)
    correct_a = rng.random(300) < 0.80
    correct_b = correct_a & (rng.random(300) < 0.95)  # B is A with a few extra mistakes
    pairs = np.stack([correct_a, correct_b], axis=1).astype(float)

    def accuracy_gain(rows: np.ndarray) -> float:
        return float(rows[:, 0].mean() - rows[:, 1].mean())

    estimate, low, high = bootstrap_ci(pairs, accuracy_gain, n_boot=500, seed=1)
    assert estimate == pytest.approx(correct_a.mean() - correct_b.mean())
    # B never beats A on an example, so no resample can reverse the ranking.
    assert 0.0 <= low <= estimate <= high
    assert bootstrap_ci(pairs, accuracy_gain, n_boot=500, seed=1) == (estimate, low, high)
    assert bootstrap_ci(pairs, accuracy_gain, n_boot=500, seed=2) != (estimate, low, high)


def test_bootstrap_refuses_bad_input() -> None:
    with pytest.raises(ConfigError, match="at least 2 examples"):
        bootstrap_ci([1.0], np.mean)
    with pytest.raises(ConfigError, match="at least 1"):
        bootstrap_ci([1.0, 2.0], np.mean, n_boot=0)
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        bootstrap_ci([1.0, 2.0], np.mean, confidence=1.0)


def test_paired_test_half_width_is_the_normal_interval_of_per_example_differences():
    from transferkit.evaluation.statistics import paired_test_half_width

    a, b = [[1, 1, 0, 0]], [[0, 1, 0, 1]]  # differences 1, 0, 0, -1: sd sqrt(2/3)
    assert paired_test_half_width(a, b) == pytest.approx(1.959964 * (2 / 3) ** 0.5 / 2)
    same = [[1, 0, 1, 1, 0]] * 3
    assert paired_test_half_width(same, same) == 0.0  # agreeing on every example: no error
    # two seeds: the per-example mean over them, (1 + 0) / 2 and so on
    assert paired_test_half_width([[1, 1], [0, 1]], [[0, 1], [0, 1]]) == pytest.approx(
        1.959964 * np.std([0.5, 0.0], ddof=1) / 2**0.5
    )
