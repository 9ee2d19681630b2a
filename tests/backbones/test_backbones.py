"""Checks every registered backbone must pass. The tiny ones run in the fast suite; the
real packaged ones run with the integration marker."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from tests.conftest import make_image
from transferkit.backbones import BACKBONES, Backbone, create_backbone, list_backbones
from transferkit.errors import IncompatibleError, UnknownNameError, WeightsUnavailableError


def _inputs(backbone, tmp_path: Path, n: int = 5) -> list:
    if backbone.modality == "image":
        import random

        rng = random.Random(0)
        paths = []
        for i in range(n):
            p = tmp_path / f"{i}.png"
            make_image(i % 3, rng, size=48 + 8 * i).save(p)
            paths.append(p)
        return paths
    if backbone.modality == "audio":  # tones of several lengths, as (samples, rate)
        import numpy as np

        return [
            ((0.2 * np.sin(np.arange(int(4000 * (1 + i))) * (0.2 + 0.1 * i))).astype("f4"), 8000)
            for i in range(n)
        ]
    return ["a good film", "the plot was awful and boring", "ok", "great fun, love it", "no"][:n]


def _check_backbone(
    name: str, build: Callable[[], Backbone], modality: str, tmp_path: Path
) -> None:
    """The contract, on the backbone ``build`` makes: called twice, it must give the same
    weights (a registered backbone's own, or a fixed local weights file)."""
    bb = build().eval()
    assert bb.modality == modality
    raw = _inputs(bb, tmp_path)
    batch = bb.collate([bb.prepare(x) for x in raw])
    with torch.inference_mode():
        feats = bb.forward_features(batch)
        assert feats.shape == (len(raw), bb.num_features)
        # the staged path (used to cache a frozen prefix) equals the plain forward pass;
        # audio encoders run whole (their output may pool several blocks' states)
        assert bb.staged or bb.modality == "audio"
        n = len(bb.blocks())
        k = max(1, n // 2)
        if bb.staged:
            staged = bb.finish(bb.run_blocks(bb.run_blocks(bb.start(batch), 0, k), k, n))
            torch.testing.assert_close(staged, feats, rtol=1e-4, atol=1e-5)
        # in eval mode an example's features do not depend on its batch-mates
        alone = bb.forward_features(bb.collate([bb.prepare(raw[1])]))
        torch.testing.assert_close(alone[0], feats[1], rtol=1e-4, atol=1e-4)
    # preprocessing is described and recorded
    described = bb.describe()
    assert described["preprocessing"]["modality"] == bb.modality
    assert described["num_blocks"] == len(bb.blocks()) >= 1
    # the same weights give the same fingerprint; rebuilding from saved files works
    assert build().fingerprint() == bb.fingerprint()
    bb.save_files(tmp_path / "files")
    rebuilt = create_backbone(name, pretrained=False, files=tmp_path / "files")
    rebuilt.load_state_dict(bb.state_dict())
    with torch.inference_mode():
        torch.testing.assert_close(rebuilt.eval().forward_features(batch), feats)


SCRATCH_ONLY = ("audio-cnn", "image-cnn")


def _registered(name: str) -> Callable[[], Backbone]:
    if name in SCRATCH_ONLY:  # no pretrained weights: the same seeded initialisation

        def seeded() -> Backbone:
            torch.manual_seed(0)
            return create_backbone(name, pretrained=False)

        return seeded
    return lambda: create_backbone(name)


def _random_weights(name: str, path: Path) -> Callable[[], Backbone]:
    """``source:arch`` built from a local file of the library's own randomly initialised
    model (no download), as ``--weights`` would load it."""
    source, _, arch = name.partition(":")
    if source == "timm":
        import timm

        model = timm.create_model(arch, pretrained=False)
    else:
        from torchvision import models

        model = models.get_model(arch, weights=None)
    save_file(model.state_dict(), str(path))
    return lambda: create_backbone(name, weights=path)


@pytest.mark.parametrize("name", list_backbones("tiny-*", include_tests=True))
def test_tiny_backbone_contract(name, tmp_path):
    _check_backbone(name, _registered(name), BACKBONES.get(name).modality, tmp_path)


def test_the_scratch_image_cnn_has_no_weights_and_keeps_the_contract(tmp_path):
    """``image-cnn`` (the quick from-scratch image baseline) refuses to pose as pretrained
    and otherwise behaves as every image backbone must (batch-invariant features, rebuilt
    from its state)."""
    with pytest.raises(IncompatibleError, match="--strategy scratch"):
        create_backbone("image-cnn")
    _check_backbone("image-cnn", _registered("image-cnn"), "image", tmp_path)


@pytest.mark.parametrize(
    "name", ["torchvision:resnet18", "timm:vit_tiny_patch16_224", "timm:convnext_atto"]
)
def test_source_backbone_contract(name, tmp_path):
    build = _random_weights(name, tmp_path / "weights.safetensors")
    _check_backbone(name, build, "image", tmp_path)


@pytest.mark.integration
@pytest.mark.parametrize("name", list_backbones())
def test_packaged_backbone_contract(name, tmp_path):
    if not BACKBONES.get(name).available():
        pytest.fail(f"{name} weights missing: {BACKBONES.get(name).install}")
    _check_backbone(name, _registered(name), BACKBONES.get(name).modality, tmp_path)


@pytest.mark.integration
def test_efficientnet_lite_uses_its_own_normalisation():
    bb = create_backbone("efficientnet_lite0")
    assert bb.preprocessing.mean == (0.5, 0.5, 0.5) and bb.preprocessing.std == (0.5, 0.5, 0.5)
    assert create_backbone("efficientnet_lite2").preprocessing.size == 260


@pytest.mark.integration
def test_minilm_matches_sentence_transformers_pooling():
    bb = create_backbone("all-MiniLM-L6-v2")
    assert bb.preprocessing.pooling == "mean" and bb.preprocessing.settings.normalize
    assert bb.preprocessing.max_length == 256 and bb.num_features == 384
    with torch.inference_mode():
        f = bb.forward_features(bb.collate(["hello world"]))
    assert abs(float(f.norm()) - 1.0) < 1e-5


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("torchvision:resnet18", "resnet18-"),
        ("hf:bert-base-uncased", "bert-base-uncased"),
        ("timm:convnext_tiny", "convnext_tiny"),
    ],
)
def test_missing_hub_weights_fail_fast_with_a_fix(name, fragment, monkeypatch, tmp_path):
    monkeypatch.setenv("TRANSFERKIT_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    from transferkit.backbones import weights

    weights.host_reachable.cache_clear()
    start = time.perf_counter()
    with pytest.raises(WeightsUnavailableError) as info:
        create_backbone(name)
    assert time.perf_counter() - start < 30
    message = str(info.value)
    assert fragment in message and ("--weights" in message or "folder" in message)
    assert message.count(".") <= 4 and "\n" not in message


def test_generic_sources_build_without_weights():
    bb = create_backbone("torchvision:resnet18", pretrained=False)
    assert bb.num_features == 512 and len(bb.blocks()) == 5
    assert bb.preprocessing.size == 224 and bb.source_head is not None


def test_unknown_names_say_what_exists():
    with pytest.raises(UnknownNameError, match="transferkit models"):
        create_backbone("mobilenet_v3")
    with pytest.raises(UnknownNameError, match="torchvision has no classification model"):
        create_backbone("torchvision:not_a_model")
