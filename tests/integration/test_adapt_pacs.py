"""Domain adaptation on real data: PACS-mini photos to sketches with MobileNetV2."""

from __future__ import annotations

import pytest

import transferkit
from transferkit.features import FeatureCache

pytestmark = pytest.mark.integration


def test_photo_to_sketch(shared_data, tmp_path):
    pacs = shared_data / "pacs-mini"
    cache = FeatureCache(tmp_path / "cache")
    base = transferkit.adapt(
        pacs / "photo",
        pacs / "sketch",
        "mobilenet_v2",
        "source-only",
        target_labels=True,
        cache=cache,
    )
    adapted = transferkit.adapt(
        pacs / "photo",
        pacs / "sketch",
        "mobilenet_v2",
        "coral",
        target_labels=True,
        cache=cache,
        out=tmp_path / "m",
    )
    assert base.target_metrics.n == 560
    # Photos to sketches is PACS's hardest pair: measured 0.25 for source-only (chance 0.14).
    # No method is asserted to beat it here; benchmarks/domain_adaptation.py measures that.
    assert base.target_metrics.accuracy >= 0.20
    assert adapted.adaptation.gap_before > 1.0  # photos and sketches are easy to tell apart
    assert transferkit.load(adapted.out).predict(pacs / "sketch" / "dog")
