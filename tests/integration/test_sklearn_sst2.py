"""GridSearchCV over two backbones and two ways of training the head on the SST-2
2,000-sentence sample (stratified, seed 0, from train.tsv): every sentence is embedded
once per backbone, however many fits the search makes, and the best setting refitted
equals a plain fit with it."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

import transferkit
from transferkit.data.splits import stratified_sample
from transferkit.sklearn import TransferClassifier

pytestmark = pytest.mark.integration

MODELS = ["all-MiniLM-L6-v2", "paraphrase-MiniLM-L3-v2"]


def _tsv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["sentence"] for r in rows], np.array([int(r["label"]) for r in rows])


def test_grid_search_embeds_each_sentence_once_per_backbone(shared_data, passes):
    texts, labels = _tsv(shared_data / "sst2" / "train.tsv")
    keep = stratified_sample([str(v) for v in labels], 2000, 0)
    X, y = [texts[i] for i in keep], labels[keep]
    X_test, y_test = _tsv(shared_data / "sst2" / "test.tsv")
    # C fixed: the search is over backbone and head; the C search inside each of the 21
    # fits would cost 20 s a fit and leave the embedding count as it is
    grid = GridSearchCV(
        TransferClassifier(C=1.0), {"model": MODELS, "head": ["logistic", "linear"]}, cv=5
    )
    grid.fit(X, y)  # 4 settings x 5 folds + the refit = 21 fits
    distinct = len(set(X))  # 1,999: one sentence is in the sample twice
    assert dict(passes) == {m: distinct for m in MODELS}
    assert grid.best_score_ >= 0.78  # measured 0.806 (MiniLM-L3, linear head)

    choice = grid.best_params_
    plain = transferkit.fit(X, y, model=choice["model"], head=choice["head"], C=1.0)
    best = grid.best_estimator_
    np.testing.assert_array_equal(best.predict_proba(X_test), plain.model.predict_proba(X_test))
    assert best.score(X_test, y_test) >= 0.74  # measured 0.769 on the 872 test sentences
