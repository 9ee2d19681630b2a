"""What a fit records beyond accuracy: calibration, the unfamiliar-input check, forgetting,
and the report, on tiny models."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

import transferkit
from tests.conftest import write_image_folder
from transferkit.models.familiarity import Familiarity


def test_temperature_choice_is_recorded_and_used_after_reload(image_splits, tmp_path):
    result = transferkit.fit(
        image_splits,
        "tiny-cnn",
        "finetune",
        epochs=2,
        batch_size=8,
        test_split="val",
        out=tmp_path / "m",
    )
    cal = result.metrics.calibration
    # 4 validation images (a fifth of train): too few to check a temperature, so none
    assert cal.fitted_on == "validation split" and cal.temperature == 1.0
    assert cal.reason.startswith("only 4 calibration examples")
    record = json.loads((tmp_path / "m" / "config.json").read_text())
    assert record["calibration"]["temperatures"] == {"label": cal.temperature}
    assert record["calibration"]["reasons"] == {"label": cal.reason}
    model = transferkit.load(tmp_path / "m")
    assert model.record.calibration.temperature("label") == cal.temperature
    np.testing.assert_allclose(
        model.predict_proba(result.splits.test), result.predictions[-1].proba, atol=1e-6
    )


def test_unfamiliar_inputs_are_flagged_and_the_check_survives_reload(image_splits, tmp_path):
    result = transferkit.fit(image_splits, "tiny-cnn", "linear-probe", out=tmp_path / "m")
    odd = tmp_path / "odd"
    odd.mkdir()
    rng = np.random.default_rng(0)
    from PIL import Image

    for i in range(6):  # large-scale noise: nothing like the striped training images
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(odd / f"{i}.png")
    model = transferkit.load(result.out)
    assert model.familiarity is not None
    assert model.unfamiliar(odd).mean() >= 0.8
    fresh = tmp_path / "fresh"
    write_image_folder(fresh, 6, seed=11)
    assert model.unfamiliar(fresh / "ants").mean() <= 0.34


def test_familiarity_threshold_comes_from_reference_data():
    rng = np.random.default_rng(0)

    def sample(n, dims):  # data living in some directions of an 8-d feature space
        x = 0.05 * rng.normal(size=(n, 8))
        x[:, dims] += rng.normal(size=(n, len(dims)))
        return x

    train = sample(200, [0, 1, 2, 3])
    f = Familiarity.fit(train, sample(100, [0, 1, 2, 3]), k=5, quantile=0.9)
    assert f.reference == "validation split"
    assert f.flags(sample(500, [0, 1, 2, 3])).mean() <= 0.25
    assert f.flags(sample(50, [4, 5, 6, 7])).mean() > 0.9
    assert Familiarity.fit(train).reference.startswith("training split")


def test_fine_tuning_reports_forgetting_and_writes_a_report(image_splits, tmp_path):
    result = transferkit.fit(
        image_splits,
        "tiny-cnn",
        "finetune",
        epochs=2,
        batch_size=8,
        lr=0.05,
        test_split="val",
        out=tmp_path / "m",
    )
    f = result.metrics.forgetting
    assert f.cka < 0.999 and f.source_agreement is not None  # a large rate moved the features
    assert f.probe == "12 held-out images"
    html = (tmp_path / "m" / "report.html").read_text()
    assert "Forgetting" in html and "Calibration" in html and "data:image/png;base64" in html
    assert "accuracy" in (tmp_path / "m" / "report.md").read_text()
    probe = transferkit.fit(image_splits, "tiny-cnn", "linear-probe", test_split="val")
    assert probe.metrics.forgetting is None  # the backbone did not change


def test_text_forgetting_uses_the_paraphrase_probe(text_splits):
    random.seed(0)
    result = transferkit.fit(text_splits, "tiny-bert", "finetune", epochs=2, batch_size=8, lr=0.01)
    f = result.metrics.forgetting
    assert f.probe.endswith("paraphrase pairs") and f.source_agreement is None
    # "before" is the pretrained encoder's own figure, "after" the tuned one's
    from transferkit.evaluation.forgetting import paraphrase_auc
    from transferkit.evaluation.paraphrases import PAIRS

    original = transferkit.create_backbone("tiny-bert")
    before = (
        original.forward_features(
            original.collate([original.prepare(s) for pair in PAIRS for s in pair])
        )
        .detach()
        .numpy()
    )
    assert f.paraphrase_auc_before == pytest.approx(paraphrase_auc(before[0::2], before[1::2]))
    assert f.cka < 0.999  # a large rate moved the encoder
