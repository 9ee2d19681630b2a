"""The parts of a ranking a user reads: ranks, the agreement sentence, the recommendation
and its uncertainty, and the resampling it rests on."""

from __future__ import annotations

from collections import Counter

import numpy as np

from transferkit.ranking.bootstrap import BootstrapWins, stratified_resample
from transferkit.ranking.result import agreement, assign_ranks, recommend
from transferkit.ranking.scoring import CandidateScores, ScoreValue


def candidate(name: str, **values: float | None) -> CandidateScores:
    scores = {s: ScoreValue(v, reason=None if v is not None else "n/a") for s, v in values.items()}
    return CandidateScores(name, 8, False, 0.0, 0.0, 0, 0, scores)


def ranked(*cands: CandidateScores) -> list[CandidateScores]:
    assign_ranks(cands, list(cands[0].scores))
    return list(cands)


def test_ranks_follow_each_score_and_skip_missing_values():
    a, b, c = ranked(
        candidate("a", logme=0.5, leep=None),
        candidate("b", logme=0.9, leep=-1.0),
        candidate("c", logme=0.5, leep=-0.5),
    )
    assert (b.scores["logme"].rank, a.scores["logme"].rank, c.scores["logme"].rank) == (1, 2, 2)
    assert a.scores["leep"].rank is None and c.scores["leep"].rank == 1


def test_disagreement_is_stated_plainly_with_who_ranks_whom_first():
    cands = ranked(
        candidate("a", logme=0.9, hscore=5.0, knn=0.70),
        candidate("b", logme=0.8, hscore=4.0, knn=0.75),
    )
    text = agreement(cands, ["logme", "hscore", "knn"], "logme").text
    assert text == (
        "The scores disagree on the best backbone: LogME and H-score rank a first; "
        "k-NN accuracy ranks b first."
    )


def test_agreement_on_the_best_and_on_the_whole_order_are_told_apart():
    same = ranked(
        candidate("a", logme=0.9, knn=0.9),
        candidate("b", logme=0.5, knn=0.8),
        candidate("c", logme=0.1, knn=0.7),
    )
    text = agreement(same, ["logme", "knn"], "logme").text
    assert "agree on the best" in text and "agree on the whole order" in text
    swapped = ranked(
        candidate("a", logme=0.9, knn=0.9),
        candidate("b", logme=0.5, knn=0.6),
        candidate("c", logme=0.1, knn=0.7),
    )
    text = agreement(swapped, ["logme", "knn"], "logme").text
    assert "rank a first" in text and "order the others differently" in text


def test_kendall_tau_against_the_primary_score():
    cands = ranked(
        candidate("a", logme=3.0, knn=0.1),
        candidate("b", logme=2.0, knn=0.2),
        candidate("c", logme=1.0, knn=0.3),
    )
    assert agreement(cands, ["logme", "knn"], "logme").tau == {"knn": -1.0}


def test_the_recommendation_says_how_sure_it_is():
    cands = ranked(candidate("a", logme=0.9), candidate("b", logme=0.8))
    firm = recommend(cands, "logme", BootstrapWins(Counter(a=95, b=5), 100), 300)
    assert firm.name == "a" and firm.share == 0.95
    assert firm.text.startswith("Recommended: a, best by LogME in 95 of 100 random subsamples")
    doubtful = recommend(cands, "logme", BootstrapWins(Counter(a=70, b=30), 100), 300)
    assert (
        doubtful.text.startswith("Recommended, with some doubt: a") and "(b in 30)" in doubtful.text
    )
    toss_up = recommend(cands, "logme", BootstrapWins(Counter(b=55, a=45), 100), 300)
    assert toss_up.name == "a" and toss_up.text.startswith("No clear winner")


def test_no_recommendation_when_no_backbone_has_the_primary_score():
    cands = ranked(candidate("a", leep=None), candidate("b", leep=None))
    rec = recommend(cands, "leep", None, 10)
    assert rec.name is None and "no backbone has a LEEP score" in rec.text


def test_stratified_resamples_keep_each_class_share_never_repeat_and_follow_the_seed():
    codes = np.array([0] * 7 + [1] * 3 + [2] * 5 + [3] * 2)
    a = stratified_resample(codes, np.random.default_rng(1))
    b = stratified_resample(codes, np.random.default_rng(1))
    c = stratified_resample(codes, np.random.default_rng(2))
    # 80% of each class, but never fewer than 2 examples of it
    assert np.bincount(codes[a]).tolist() == [6, 2, 4, 2]
    assert len(set(a.tolist())) == len(a)  # without replacement: no example twice
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_resampling_does_not_bias_logme_between_backbones():
    """With as many examples as feature dimensions, bootstrap resamples (with repeats)
    moved LogME's difference between two real encoders 20x further than the difference
    itself. Here: two random feature sets of n = d; the mean difference over resamples
    stays close to the difference on all the examples."""
    from transferkit.scores import logme

    rng = np.random.default_rng(0)
    codes = np.repeat([0, 1], 40)
    a = rng.normal(size=(80, 80)) + codes[:, None] * 0.3
    b = rng.normal(size=(80, 40)) + codes[:, None] * 0.3
    full = logme(a, codes) - logme(b, codes)
    diffs = []
    for _ in range(20):
        idx = stratified_resample(codes, rng)
        diffs.append(logme(a[idx], codes[idx]) - logme(b[idx], codes[idx]))
    assert abs(np.mean(diffs) - full) < 0.25 * abs(full) + 0.02
