"""The logistic head: exact despite its projection shortcut, and folded into a linear layer."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from transferkit.training.logistic import fit_logistic


def _data(n=60, d=200, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3, size=d) + rng.normal(size=d)
    X[:, :5] += y[:, None] * 1.5
    return X, y


@pytest.mark.parametrize("k", [2, 3])
def test_projection_onto_the_data_span_gives_the_full_space_solution(k):
    X, y = _data(k=k)
    fit = fit_logistic(X, y, k, C=0.3)
    Z = (X - X.mean(0)) / X.std(0)
    ref = LogisticRegression(C=0.3, max_iter=5000, tol=1e-10).fit(Z, y)
    ours = X @ fit.weight.T + fit.bias
    theirs = ref.decision_function(Z)
    if k == 2:  # sklearn's binary score is the logit of class 1
        ours = ours[:, 1] - ours[:, 0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-3)


def test_cross_validation_picks_c_and_reports_out_of_fold_predictions():
    X, y = _data()
    fit = fit_logistic(X, y, 3, folds=5, seed=0)
    assert fit.folds == 5 and fit.C in np.logspace(-4, 2, 13)
    assert fit.oof_proba.shape == (60, 3)
    np.testing.assert_allclose(fit.oof_proba.sum(1), 1.0, atol=1e-6)
    assert fit_logistic(X, y, 3, folds=5, seed=0).C == fit.C


def test_classes_missing_from_training_are_never_predicted():
    X, y = _data(k=2)
    fit = fit_logistic(X, y, 3, C=1.0)
    assert ((X @ fit.weight.T + fit.bias).argmax(1) != 2).all()


def test_folds_shrink_to_the_smallest_class():
    X, y = _data(n=9, k=3)
    assert fit_logistic(X, y, 3, folds=5).folds == 3


def test_a_given_c_is_calibrated_like_the_searched_one():
    X, y = _data(k=3)
    searched = fit_logistic(X, y, 3)
    given = fit_logistic(X, y, 3, C=searched.C)
    assert given.oof_proba is not None
    # the search reaches C warm-started along the path, with a loose tolerance
    np.testing.assert_allclose(given.oof_proba, searched.oof_proba, atol=0.02)
    np.testing.assert_allclose(given.weight, searched.weight, atol=1e-6)
