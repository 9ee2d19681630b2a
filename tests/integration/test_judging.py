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
