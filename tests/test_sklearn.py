"""``transferkit.sklearn``: the estimator contract (scikit-learn's own checks), and the
places a scikit-learn user puts an estimator: Pipeline, cross_val_score, GridSearchCV,
pickle, a model directory."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import transferkit
from tests.conftest import make_text
from transferkit.errors import ModelDirError
from transferkit.sklearn import TransferClassifier, TransferEmbedder

#: scikit-learn's checks feed 2-D numbers, which go to the pass-through backbone; the
#: second estimator also carries options beyond the signature through clone and set_params
ESTIMATORS = [
    TransferClassifier(cache=False),
    TransferClassifier(cache=False, head="linear", lr=0.01),
]


def expected_failures(estimator) -> dict[str, str]:
    """The checks the estimator is known to fail, and why (none without options)."""
    if not estimator._options:
        return {}
    return {
        "check_no_attributes_set_in_init": (
            "options beyond the signature (**options, as transferkit.fit takes them) are "
            "parameters kept as attributes; get_params, set_params and clone handle them"
        )
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def _texts(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    import random

    rng = random.Random(seed)
    y = np.array([i % 2 for i in range(n)])
    return [make_text(int(label), rng) for label in y], y


def test_labels_keep_their_type_and_order():
    X, y = _texts(60)
    numbers = np.where(y == 1, 10, 9)  # as strings, "10" sorts before "9"
    clf = TransferClassifier(model="tiny-bert").fit(X, numbers)
    assert clf.classes_.tolist() == [9, 10] and clf.predict(X[:4]).dtype == numbers.dtype
    proba = clf.predict_proba(X)
    assert np.array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert clf.score(X, numbers) > 0.8  # the generated texts carry their label's words


def test_a_grid_search_embeds_each_text_once_per_backbone(passes):
    X, y = _texts(60)
    models = ["tiny-bert", "paraphrase-MiniLM-L3-v2"]
    grid = GridSearchCV(
        TransferClassifier(), {"model": models, "head": ["logistic", "linear"]}, cv=3
    )
    grid.fit(X, y)  # 4 settings x 3 folds, then the refit: 13 fits
    assert dict(passes) == {"tiny-bert": 60, "paraphrase-MiniLM-L3-v2": 60}
    best = grid.best_params_
    plain = TransferClassifier(**best).fit(X, y)
    np.testing.assert_array_equal(grid.best_estimator_.predict_proba(X), plain.predict_proba(X))
    folds = cross_val_score(TransferClassifier(**best), X, y, cv=3)
    assert grid.best_score_ == pytest.approx(folds.mean())


def test_pipeline_and_cross_val_score_with_the_embedder(passes):
    X, y = _texts(60)
    pipe = make_pipeline(TransferEmbedder("tiny-bert"), LogisticRegression(max_iter=1000))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.8
    assert passes["tiny-bert"] == 60  # three folds, each text embedded once
    assert pipe.fit(X, y).predict(X[:3]).tolist() == y[:3].tolist()


def test_pickle_carries_the_weights_and_predicts_the_same(tmp_path):
    X, y = _texts(40)
    clf = TransferClassifier(model="tiny-bert", strategy="finetune", epochs=1).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert clone(clf).get_params() == clf.get_params() and not hasattr(clone(clf), "model_")
    clf.save(tmp_path / "m")
    loaded = TransferClassifier.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.get_params()["epochs"] == 1
    assert transferkit.load(tmp_path / "m").predict(X[:2]) == [str(v) for v in clf.predict(X[:2])]
    with pytest.raises(ModelDirError, match=r"sklearn\.json"):
        TransferClassifier.load(tmp_path / "nowhere")


def test_set_params_takes_options_and_fit_refuses_unknown_ones():
    X, y = _texts(40)
    clf = TransferClassifier(model="tiny-bert").set_params(max_train=20)
    assert clf.get_params()["max_train"] == 20
    assert clf.fit(X, y).fit_metrics_["cost"]["embedded"] <= 40
    with pytest.raises(ValueError, match="'epoch' is neither a data option"):
        TransferClassifier(model="tiny-bert", epoch=3).fit(X, y)


def test_a_grid_over_strategies_chooses_on_the_folds_alone():
    X, y = _texts(48)
    grid = GridSearchCV(
        TransferClassifier(model="tiny-bert", epochs=1),
        {"strategy": ["linear-probe", "finetune"]},
        cv=3,
    ).fit(X, y)
    results = grid.cv_results_
    scores = dict(zip(results["param_strategy"], results["mean_test_score"], strict=True))
    assert grid.best_params_["strategy"] == max(scores, key=scores.get)
    assert grid.best_estimator_.strategy == grid.best_params_["strategy"]
