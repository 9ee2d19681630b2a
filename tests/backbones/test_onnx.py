"""ONNX feature-extraction backbones. The fast tests run the wrapper over a stand-in for the
onnxruntime session (building a real ONNX file needs the ``onnx`` package); the
integration tests run the packaged paraphrase-MiniLM-L3-v2 graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import transferkit
from tests.conftest import write_text_table
from transferkit.backbones import TextSettings, create_backbone
from transferkit.backbones import onnx as onnx_backbones
from transferkit.backbones.onnx import OnnxTextBackbone
from transferkit.errors import IncompatibleError
from transferkit.features import FeatureCache, embed


class MeanPoolSession:
    """What the exported encoder computes, in numpy: masked mean of token embeddings."""

    def __init__(self, vocab: int, dims: int = 6) -> None:
        self.table = np.random.default_rng(0).normal(size=(vocab, dims)).astype(np.float32)
        self.calls = 0

    def run(self, outputs: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        assert outputs == ["pooled"]
        ids, mask = feeds["input_ids"], feeds["attention_mask"]
        assert ids.dtype == np.int64 and mask.dtype == np.int64  # what ONNX graphs declare
        self.calls += 1
        m = mask[..., None].astype(np.float32)
        return [(self.table[ids] * m).sum(1) / m.sum(1)]


@pytest.fixture
def fake_onnx(tmp_path, monkeypatch):
    """An OnnxTextBackbone over a stand-in session, and the session."""
    tokenizer = create_backbone("tiny-bert").preprocessing.tokenizer
    session = MeanPoolSession(len(tokenizer))
    graph = tmp_path / "encoder.onnx"
    graph.write_bytes(b"graph v1")
    monkeypatch.setattr(onnx_backbones, "_session", lambda path: session)
    backbone = OnnxTextBackbone(graph, "pooled", 6, tokenizer, TextSettings(64), "fake-onnx")
    return backbone.eval(), session


def test_features_are_the_graph_output_whatever_the_batch(fake_onnx):
    backbone, session = fake_onnx
    texts = ["a good film", "the plot was awful and boring", "ok"]
    batch = backbone.collate([backbone.prepare(t) for t in texts])
    with torch.inference_mode():
        feats = backbone.forward_features(batch)
        alone = backbone.forward_features(backbone.collate([texts[1]]))
    assert feats.shape == (3, 6) and feats.dtype == torch.float32
    ids = batch["input_ids"][0][batch["attention_mask"][0] == 1].numpy()
    np.testing.assert_allclose(feats[0].numpy(), session.table[ids].mean(0), rtol=1e-5)
    torch.testing.assert_close(alone[0], feats[1])
    assert len(backbone.blocks()) == 1 and backbone.describe()["num_parameters"] == 0


def test_the_fingerprint_follows_the_graph_file_so_the_cache_never_mixes_graphs(fake_onnx):
    backbone, _ = fake_onnx
    texts = [f"text number {i}" for i in range(100)]  # above 2 batches: the backbone is copied
    cache = FeatureCache(enabled=True)
    first, stats = embed(backbone, texts, cache=cache)
    again, stats2 = embed(backbone, texts, cache=cache)
    assert stats.computed == 100 and stats2.cached == 100 and np.array_equal(first, again)
    before = backbone.fingerprint()
    graph = backbone.graph.path
    with open(graph, "wb") as fh:
        fh.write(b"graph v2, other weights")
    assert backbone.fingerprint() != before


def test_training_it_fails_with_one_sentence(fake_onnx):
    backbone, _ = fake_onnx
    assert backbone.trainable is False
    batch = backbone.collate(["a good film"])
    backbone.train()
    with pytest.raises(IncompatibleError) as info:
        backbone.forward_features(batch)
    message = str(info.value)
    assert "cannot be trained" in message and "linear-probe" in message and "\n" not in message
    with torch.no_grad():  # in training mode but without gradients it still embeds
        assert backbone.forward_features(batch).shape == (1, 6)


@pytest.mark.integration
def test_paraphrase_minilm_uses_a_tokenizer_that_fits_its_embedding_matrix():
    backbone = create_backbone("paraphrase-MiniLM-L3-v2")
    tokenizer = backbone.preprocessing.tokenizer
    session = onnx_backbones._session(backbone.graph.path)
    top = len(tokenizer) - 1  # 30521: the largest id the tokenizer can produce

    def run(ids: list[int]) -> np.ndarray:
        feeds = {"input_ids": np.array([ids]), "attention_mask": np.ones((1, len(ids)))}
        return session.run(["461"], {k: v.astype(np.int64) for k, v in feeds.items()})[0]

    assert run([101, top, 102]).shape == (1, 384)
    with pytest.raises(Exception, match=r"out of data bounds"):
        run([101, top + 1, 102])  # the embedding matrix has exactly the tokenizer's rows
    assert tokenizer("Hello World")["input_ids"] == tokenizer("hello world")["input_ids"]


@pytest.mark.integration
def test_paraphrase_minilm_puts_paraphrases_closer_than_unrelated_sentences():
    backbone = create_backbone("paraphrase-MiniLM-L3-v2")
    texts = [
        "A man is playing a guitar.",
        "Someone plays the guitar.",
        "The stock market fell sharply today.",
        "Shares dropped steeply on the exchange this morning.",
    ]
    f, _ = embed(backbone, texts)
    e = f / np.linalg.norm(f, axis=1, keepdims=True)
    sim = e @ e.T
    assert sim[0, 1] > sim[0, 2] + 0.3 and sim[2, 3] > sim[1, 3] + 0.2
    assert abs(float(np.linalg.norm(f[0])) - 1.0) > 0.1  # not normalised, as the original


@pytest.mark.integration
def test_paraphrase_minilm_linear_probe_saves_and_loads_but_does_not_finetune(tmp_path):
    data = write_text_table(tmp_path / "reviews.csv", 40)
    result = transferkit.fit(data, "paraphrase-MiniLM-L3-v2", "linear-probe", out=tmp_path / "m")
    model = transferkit.load(tmp_path / "m")
    texts = ["great fun, love it", "awful and boring"]
    np.testing.assert_allclose(
        model.predict_proba(texts), result.model.predict_proba(texts), rtol=1e-5
    )
    with pytest.raises(IncompatibleError, match="cannot be trained"):
        transferkit.fit(data, "paraphrase-MiniLM-L3-v2", "finetune", epochs=1)
