"""The feature cache: a second run over the same inputs makes no backbone pass."""

from __future__ import annotations

import shutil

import numpy as np

from transferkit.backbones import create_backbone
from transferkit.data import read_inputs
from transferkit.features import FeatureCache, embed


def test_second_embedding_is_served_from_the_cache(image_folder, tmp_path, backbone_passes):
    calls = backbone_passes
    backbone = create_backbone("tiny-cnn")
    cache = FeatureCache(tmp_path / "features")
    inputs = read_inputs(image_folder, "image").inputs
    first, stats1 = embed(backbone, inputs, cache=cache, batch_size=4)
    assert sum(calls) == len(inputs) and stats1.computed == len(inputs)
    second, stats2 = embed(backbone, inputs, cache=cache, batch_size=4)
    assert sum(calls) == len(inputs) and stats2.cached == len(inputs)
    np.testing.assert_array_equal(first, second)


def test_cache_is_keyed_by_content_not_path(image_folder, tmp_path):
    backbone = create_backbone("tiny-cnn")
    cache = FeatureCache(tmp_path / "features")
    inputs = read_inputs(image_folder, "image").inputs
    embed(backbone, inputs[:4], cache=cache)
    copy = tmp_path / "renamed.png"
    shutil.copy(inputs[0], copy)
    _, stats = embed(backbone, [copy], cache=cache)
    assert stats.cached == 1
    # different bytes: a miss
    copy.write_bytes(inputs[5].read_bytes())
    _, stats = embed(backbone, [copy], cache=cache)
    assert stats.computed == 1


def test_changed_weights_or_preprocessing_miss_the_cache(tmp_path):
    backbone = create_backbone("tiny-bert")
    cache = FeatureCache(tmp_path / "features")
    texts = ["a good film", "a bad film"]
    before, _ = embed(backbone, texts, cache=cache)
    import torch

    with torch.no_grad():
        weight = backbone.blocks()[0].word_embeddings.weight
        weight.add_(torch.randn(weight.shape, generator=torch.Generator().manual_seed(0)))
    after, stats = embed(backbone, texts, cache=cache)
    assert stats.computed == 2 and not np.allclose(before, after)


def test_disabled_cache_writes_nothing(tmp_path):
    backbone = create_backbone("tiny-bert")
    cache = FeatureCache(tmp_path / "features", enabled=False)
    embed(backbone, ["x y"], cache=cache)
    assert not (tmp_path / "features").exists()


def test_processes_opening_a_new_cache_at_once_all_succeed(tmp_path):
    """accelerate launch starts several processes that open the same new cache file."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(4) as pool:
        pool.map(_put_one, [(str(tmp_path / "features"), i) for i in range(8)])
    found = FeatureCache(tmp_path / "features").get("space", [f"k{i}" for i in range(8)])
    assert sorted(found) == [f"k{i}" for i in range(8)]


def _put_one(args):
    root, i = args
    FeatureCache(root).put("space", [(f"k{i}", np.full(3, i, dtype=np.float32))])
