"""``rank`` on tiny backbones and generated data: what a user relies on when choosing a
backbone before training."""

from __future__ import annotations

import json

import numpy as np
import pytest

import transferkit
from tests.conftest import write_image_folder
from tests.ranking.helpers import NoiseBackbone
from transferkit.errors import ConfigError, DataError, IncompatibleError, UnknownNameError
from transferkit.features import FeatureCache
from transferkit.ranking.report import render_text
from transferkit.scores import list_scores

FEATURE_SCORES = [s.name for s in list_scores("features")]


def one_sentence(error: Exception) -> str:
    message = str(error)
    assert "\n" not in message and message.endswith("."), message
    assert ". " not in message[:-1], message
    return message


@pytest.fixture
def three_classes(tmp_path):
    """36 generated images of three classes told apart by colour and texture."""
    return write_image_folder(tmp_path / "three", 12, classes=("ants", "bees", "wasps"))


def test_features_that_carry_the_labels_rank_above_noise_by_every_score(three_classes):
    result = transferkit.rank(three_classes, {"tiny-cnn": "tiny-cnn", "noise": NoiseBackbone()})
    for score in FEATURE_SCORES:
        assert result.ranking(score) == ["tiny-cnn", "noise"], score
    assert result.recommended == "tiny-cnn"
    # unanimous resamples settle the resampling early
    rec = result.recommendation
    assert rec.wins == rec.resamples == 20 and "20 of 20 random subsamples" in rec.text
    assert result.agreement.text.startswith("The scores agree on the best")
    assert result.candidates[0].name == "tiny-cnn"  # sorted best first


def test_leep_is_not_applicable_without_a_source_head_but_the_other_scores_are_reported(
    three_classes,
):
    result = transferkit.rank(three_classes, {"tiny-cnn": "tiny-cnn", "noise": NoiseBackbone()})
    noise = next(c for c in result.candidates if c.name == "noise")
    cnn = next(c for c in result.candidates if c.name == "tiny-cnn")
    assert noise.scores["leep"].value is None and noise.scores["nce"].value is None
    assert "no source classifier" in noise.scores["leep"].reason
    assert all(noise.scores[s].value is not None for s in FEATURE_SCORES)
    assert cnn.scores["leep"].value is not None and cnn.scores["leep"].value <= 0
    assert cnn.scores["leep"].rank == 1  # the only backbone with LEEP
    note = next(n for n in result.notes if "LEEP" in n)
    assert "noise" in note and "tiny-cnn" not in note
    assert "n/a" in render_text(result)


def test_a_backbone_of_the_wrong_modality_is_left_out_with_one_sentence(image_folder):
    result = transferkit.rank(image_folder, "tiny-cnn,tiny-bert", bootstrap=0)
    assert [c.name for c in result.candidates] == ["tiny-cnn"]
    assert "Left out tiny-bert: it is a text backbone and the data holds images." in result.notes
    with pytest.raises(IncompatibleError) as info:
        transferkit.rank(image_folder, ["tiny-bert"])
    assert "tiny-bert: it is a text backbone" in one_sentence(info.value)


def test_an_unknown_backbone_fails_before_any_backbone_runs(image_folder, tmp_path):
    cache = FeatureCache(tmp_path / "cache")
    with pytest.raises(UnknownNameError, match="Unknown backbone 'tiny-cn'"):
        transferkit.rank(image_folder, "tiny-cnn,tiny-cn", cache=cache)
    assert not list((tmp_path / "cache").glob("*.sqlite"))


def test_one_class_and_too_few_examples_are_one_sentence_each(tmp_path):
    one = write_image_folder(tmp_path / "one", 5, classes=("ants",))
    with pytest.raises(DataError) as info:
        transferkit.rank(one, "tiny-cnn")
    assert "Only one class" in one_sentence(info.value)
    two = write_image_folder(tmp_path / "two", 5)
    with pytest.raises(DataError) as info:
        transferkit.rank(two, "tiny-cnn", shots=1)
    assert "only 2 examples for 2 classes" in one_sentence(info.value)


def test_score_options_are_checked_before_any_work(image_folder):
    with pytest.raises(UnknownNameError, match="logme"):
        transferkit.rank(image_folder, "tiny-cnn", scores="logmee")
    with pytest.raises(ConfigError, match="not among the scores"):
        transferkit.rank(image_folder, "tiny-cnn", scores="knn", primary="logme")


def test_only_the_asked_scores_are_computed_and_the_primary_decides(three_classes):
    result = transferkit.rank(
        three_classes,
        {"tiny-cnn": "tiny-cnn", "noise": NoiseBackbone()},
        scores=["knn", "hscore"],
        bootstrap=0,
    )
    assert result.scores == ["knn", "hscore"] and result.primary == "knn"
    assert set(result.candidates[0].scores) == {"knn", "hscore"}
    assert "no resampling was run" in result.recommendation.text


def test_a_second_ranking_takes_every_feature_from_the_cache(three_classes, tmp_path):
    cache = FeatureCache(tmp_path / "cache")
    first = transferkit.rank(three_classes, "tiny-cnn", cache=cache)
    second = transferkit.rank(three_classes, "tiny-cnn", cache=cache)
    assert first.candidates[0].embedded == 36 and second.candidates[0].embedded == 0
    assert second.candidates[0].cached == 36
    assert second.value("tiny-cnn", "logme") == first.value("tiny-cnn", "logme")


def test_the_test_split_is_never_scored(image_splits):
    write_image_folder(image_splits / "test", 4, seed=7)
    result = transferkit.rank(image_splits, "tiny-cnn", bootstrap=0)
    assert result.num_examples == 24  # train/ only: val/ and test/ are not read


def test_json_summary_round_trips_with_values_ranks_and_times(three_classes):
    result = transferkit.rank(three_classes, {"tiny-cnn": "tiny-cnn", "noise": NoiseBackbone()})
    d = json.loads(json.dumps(result.to_dict()))
    assert d["recommendation"]["backbone"] == "tiny-cnn"
    first = d["backbones"][0]
    assert first["scores"]["logme"]["rank"] == 1 and first["seconds"]["embed"] >= 0
    assert d["backbones"][1]["scores"]["leep"]["reason"]
    assert set(d["agreement"]["kendall_tau_with_primary"]) <= set(FEATURE_SCORES) | {"leep"}
    assert np.isclose(first["scores"]["logme"]["value"], result.value("tiny-cnn", "logme"))


def test_identical_backbones_are_no_clear_winner(three_classes):
    result = transferkit.rank(three_classes, {"a": "tiny-cnn", "b": "tiny-cnn"}, bootstrap=30)
    rec = result.recommendation
    assert rec.wins == 0 and rec.resamples == 30
    assert rec.text.startswith("No clear winner")
