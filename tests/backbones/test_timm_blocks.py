"""Blocks of timm backbones from timm's own parameter groups: every weight in exactly one
block, blocks in data-flow order, staged where the family's forward is known exactly, and
a frozen prefix that stays frozen through training. Random weights only (no download)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
import timm
import torch
from safetensors.torch import save_file

import transferkit
from tests.conftest import make_image
from transferkit.backbones import create_backbone
from transferkit.errors import IncompatibleError
from transferkit.strategies.partial import frozen_blocks

VIT = "timm:vit_tiny_patch16_224"


def _image(backbone) -> torch.Tensor:
    return backbone.collate([backbone.prepare(make_image(0, random.Random(0)))])


@pytest.mark.parametrize(
    ("name", "n_blocks", "staged"),
    [
        (VIT, 13, True),  # stem, 12 blocks (timm puts the final norm with the last)
        ("timm:convnext_atto", 6, True),  # stem, 4 stages, the head's norm
        ("timm:efficientnet_b0", 8, True),  # stem, 7 stages (conv_head with the last)
        ("timm:resnet18", 5, False),  # no known staged forward: blocks for freezing only
        ("torchvision:resnet18", 5, True),
    ],
)
def test_blocks_hold_every_weight_once_in_data_flow_order(name, n_blocks, staged):
    bb = create_backbone(name, pretrained=False).eval()
    blocks = bb.blocks()
    assert (len(blocks), bb.staged) == (n_blocks, staged)
    held = Counter(id(p) for block in blocks for p in block.parameters())
    trainable = {id(p) for p in bb.parameters() if p.requires_grad}  # all but the source head
    assert set(held) == trainable and set(held.values()) == {1}
    # the order in which a plain forward pass first enters each block's modules
    entered: list[int] = []
    for i, block in enumerate(blocks):
        for module in block.modules():
            module.register_forward_pre_hook(lambda *_, i=i: entered.append(i))
    with torch.no_grad():
        bb.forward_features(_image(bb))
    assert entered == sorted(entered) and set(entered) == set(range(n_blocks))


def test_blocks_are_not_part_of_the_backbone():
    bb = create_backbone(VIT, pretrained=False)
    keys = set(bb.state_dict())
    stem = bb.blocks()[0]
    assert set(bb.state_dict()) == keys and all(k.startswith("model.") for k in keys)
    # the class token and position embeddings are parameters of the model itself
    assert {id(bb.model.cls_token), id(bb.model.pos_embed)} <= {id(p) for p in stem.parameters()}
    stem.requires_grad_(False)
    assert not bb.model.cls_token.requires_grad and not bb.model.pos_embed.requires_grad
    assert bb.model.blocks[0].attn.qkv.weight.requires_grad
    bb.train()
    stem.eval()
    assert not bb.model.pos_drop.training and bb.model.blocks[0].training


def test_blocks_follow_the_layers_adapters_replace():
    from peft import LoraConfig
    from peft.tuners.lora import LoraModel

    bb = create_backbone(VIT, pretrained=False).eval()
    targets = ["model.patch_embed.proj", "model.blocks.0.attn.qkv"]
    LoraModel(bb, LoraConfig(r=2, target_modules=targets), adapter_name="default")
    adapters = {id(p) for n, p in bb.named_parameters() if "lora_" in n}
    held = [adapters & {id(p) for p in block.parameters()} for block in bb.blocks()]
    assert held[0] and held[1] and not any(held[2:]) and set().union(*held) == adapters
    image, n = _image(bb), len(held)
    with torch.no_grad():
        staged = bb.finish(bb.run_blocks(bb.run_blocks(bb.start(image), 0, 1), 1, n))
        torch.testing.assert_close(staged, bb.forward_features(image))


def test_timm_model_without_exact_staging_still_has_blocks():
    # GhostNet looks like EfficientNet (conv_stem, bn1, blocks) but applies an activation
    # after bn1 that those steps leave out: the build-time check finds the difference
    bb = create_backbone("timm:ghostnet_050", pretrained=False).eval()
    assert not bb.staged and len(bb.blocks()) > 2
    image = _image(bb)
    with torch.no_grad(), pytest.raises(IncompatibleError, match="cache_prefix=false"):
        bb.run_blocks(bb.start(image), 0, 2)
    with torch.no_grad():  # the whole pass is still timm's own
        expected = bb.model.forward_head(bb.model.forward_features(image), pre_logits=True)
        torch.testing.assert_close(bb.forward_features(image), expected)


def test_opaque_torchvision_models_are_not_staged():
    assert not create_backbone("torchvision:shufflenet_v2_x0_5", pretrained=False).staged


def test_partial_on_a_vit_keeps_the_frozen_half_unchanged(tmp_path: Path, image_splits: Path):
    weights = tmp_path / "vit.safetensors"
    save_file(timm.create_model(VIT.partition(":")[2]).state_dict(), str(weights))
    result = transferkit.fit(
        image_splits,
        VIT,
        "partial",
        weights=weights,
        freeze=0.5,
        epochs=1,
        batch_size=4,
        views=0,
        test_split="val",
    )
    original = create_backbone(VIT, weights=weights)
    k = frozen_blocks(0.5, original)  # round(0.5 * 13) = 6: the stem and 5 blocks
    assert k == 6
    pairs = zip(result.model.classifier.backbone.blocks(), original.blocks(), strict=True)
    same = [
        all(torch.equal(a, b) for a, b in zip(t.parameters(), o.parameters(), strict=True))
        for t, o in pairs
    ]
    assert all(same[:k]) and not all(same[k:])
