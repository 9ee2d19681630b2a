"""The ONNX Runtime engine for frozen features: the same features as PyTorch (to float
rounding), exported once per set of weights, cached apart from PyTorch's, and chosen by
``auto`` only when exporting pays."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import write_image_folder, write_text_table
from transferkit.backbones import create_backbone
from transferkit.features import FeatureCache, embed, onnx_engine
from transferkit.features.extract import ONNX_SPACE, forward_features

pytestmark = pytest.mark.skipif(not onnx_engine.onnx_ready(), reason="onnx not installed")


@pytest.fixture
def images(tmp_path):
    return sorted(write_image_folder(tmp_path / "imgs", 6).rglob("*.png"))


@pytest.fixture
def texts(tmp_path):
    table = write_text_table(tmp_path / "t.csv", 12)
    return [line.split(",")[0] for line in table.read_text().splitlines()[1:]]


def test_a_text_graph_exported_from_unpadded_texts_still_masks_padding(tmp_path):
    backbone = create_backbone("tiny-bert")
    same = ["good film", "bad plot"]  # one length: no padding in this batch
    forward_features(backbone, same, engine="onnx")
    mixed = ["good", "the plot was boring and the actor was awful", "fun film"]
    np.testing.assert_allclose(
        forward_features(backbone, mixed, engine="onnx"),
        forward_features(backbone, mixed, engine="torch"),
        atol=1e-5,
    )


@pytest.mark.parametrize(("name", "data"), [("tiny-cnn", "images"), ("tiny-bert", "texts")])
def test_onnx_features_equal_torch_features(name, data, request):
    inputs = request.getfixturevalue(data)
    backbone = create_backbone(name)
    torch_feats = forward_features(backbone, inputs, engine="torch")
    onnx_feats = forward_features(backbone, inputs, engine="onnx")
    np.testing.assert_allclose(onnx_feats, torch_feats, atol=1e-5)
    assert onnx_engine.graph_path(backbone.fingerprint()).exists()  # kept for next time


def test_onnx_features_are_cached_apart_and_exported_once(images, tmp_path, monkeypatch):
    cache = FeatureCache(tmp_path / "cache", engine="onnx")
    backbone = create_backbone("tiny-cnn")
    exports = []
    original = onnx_engine.export
    monkeypatch.setattr(onnx_engine, "export", lambda *a: exports.append(1) or original(*a))
    first, stats = embed(backbone, images, cache=cache)
    again, stats2 = embed(backbone, images, cache=cache)
    assert stats.engines == {"onnx"} and stats.computed == len(images) and stats2.computed == 0
    assert exports == [1]
    np.testing.assert_array_equal(first, again)
    _, torch_stats = embed(backbone, images, cache=cache, engine="torch")
    assert torch_stats.computed == len(images)  # its own space: not mixed with ONNX's
    assert cache.get(backbone.fingerprint() + ONNX_SPACE, ["x"]) == {}


def test_auto_exports_only_when_there_are_enough_inputs(images, tmp_path, monkeypatch):
    backbone = create_backbone("tiny-cnn")
    assert onnx_engine.chosen("auto", backbone, "fresh", len(images)) == "torch"
    assert onnx_engine.chosen("auto", backbone, "fresh", onnx_engine.EXPORT_WORTH) == "onnx"
    assert onnx_engine.chosen("torch", backbone, "fresh", 10_000) == "torch"
    _, stats = embed(backbone, images, cache=FeatureCache(tmp_path / "c"))
    assert stats.engines == {"torch"}
    forward_features(backbone, images, engine="onnx")  # now a graph exists
    _, stats = embed(backbone, images, cache=FeatureCache(tmp_path / "c2"))
    assert stats.engines == {"onnx"}


def test_an_unknown_engine_is_one_sentence():
    from transferkit.errors import ConfigError

    with pytest.raises(ConfigError, match="Unknown engine 'fast'"):
        onnx_engine.chosen("fast", create_backbone("tiny-cnn"), "x", 1)


def test_a_backbone_that_is_already_an_onnx_graph_is_not_exported_again(tmp_path, monkeypatch):
    """paraphrase-MiniLM-L3-v2 runs in ONNX Runtime already: tracing its forward pass
    would record a graph with no inputs, so every engine runs it as it is."""
    monkeypatch.setattr(onnx_engine, "export", lambda *a: pytest.fail("exported"))
    backbone = create_backbone("paraphrase-MiniLM-L3-v2")
    texts = [f"sentence number {i} about a film" for i in range(6)]
    assert onnx_engine.chosen("onnx", backbone, "x", 10_000) == "torch"
    features, stats = embed(backbone, texts, cache=FeatureCache(tmp_path / "c"), engine="onnx")
    assert features.shape == (6, backbone.num_features) and stats.computed == 6
