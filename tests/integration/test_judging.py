"""Unfamiliar inputs on real data: a model trained on ants and bees flags sketches."""

from __future__ import annotations

import pytest

import transferkit
from transferkit.features import FeatureCache

pytestmark = pytest.mark.integration


def test_ants_bees_model_flags_sketches_but_not_held_out_photos(shared_data, tmp_path):
    cache = FeatureCache(tmp_path / "cache")
    result = transferkit.fit(
        shared_data / "hymenoptera", "mobilenet_v2", "linear-probe", test_split="val", cache=cache
    )
    model = result.model
    sketches = model.unfamiliar(shared_data / "pacs-mini" / "sketch")
    photos = model.unfamiliar(result.splits.test)
    assert sketches.mean() >= 0.8  # measured 0.98
    assert photos.mean() <= 0.10  # measured 0.026
    assert result.metrics.calibration.splits["test"].ece_after < 0.1


def test_shuffled_labels_get_no_good_badge(shared_data, tmp_path):
    """Ants/bees with the training labels shuffled (copies of the photos: links behaved
    differently on the CI machine): the model can learn nothing, and must not be called good."""
    import random
    import shutil

    from transferkit.evaluation.verdicts import accuracy_verdict
    from transferkit.workflows.fit import fit_report_of

    photos = sorted((shared_data / "hymenoptera" / "train").glob("*/*"))
    labels = [p.parent.name for p in photos]
    random.Random(0).shuffle(labels)
    val = sorted((shared_data / "hymenoptera" / "val").glob("*/*"))
    for photo, place in [*zip(photos, labels, strict=True), *((p, p.parent.name) for p in val)]:
        copy = tmp_path / "shuffled" / photo.parent.parent.name / place / photo.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(photo, copy)
    result = transferkit.fit(
        tmp_path / "shuffled", "mobilenet_v2", "linear-probe", test_split="val"
    )
    verdict = accuracy_verdict(result.metrics.splits["test"], "test")
    assert verdict.level != "good" and "no better than always predicting" in verdict.sentence
    assert 'class="badge good"' not in fit_report_of(result).to_html()


def test_evaluate_splits_accuracy_by_familiarity(shared_data):
    """An SST-2 probe judged on kitchen-appliance reviews: the reviews it flags as unlike
    its training sentences are the ones whose labels to trust less."""
    model = transferkit.fit(
        shared_data / "sst2", "all-MiniLM-L6-v2", "linear-probe", max_train=1000, max_val=200
    ).model
    from transferkit.data import read_dataset

    reviews = read_dataset(shared_data / "amazon-reviews" / "kitchen")
    reviews.labels = ["1" if label == "positive" else "0" for label in reviews.labels]
    metrics = model.evaluate(reviews)
    parts = metrics.by_familiarity
    assert parts["unfamiliar"].n + parts["familiar"].n == metrics.n == 2000
    assert parts["unfamiliar"].n > 0 and parts["familiar"].n > 0
