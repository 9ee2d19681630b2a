"""What each strategy does with settings or data it cannot use, and the strategies'
distinctive mechanics, on tiny models."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

import transferkit
from transferkit.backbones import ImagePreprocessing, SequentialImageBackbone, create_backbone
from transferkit.errors import ConfigError, DataError, IncompatibleError, WeightsUnavailableError
from transferkit.strategies import STRATEGIES
from transferkit.strategies.contrastive import frozen_prefix, pairwise_cosine_loss
from transferkit.strategies.gradual import GradualConfig, unfreeze_schedule


def test_partial_refuses_to_freeze_more_blocks_than_exist(image_folder):
    with pytest.raises(IncompatibleError, match="tiny-cnn has 3; freeze between 1 and 2"):
        transferkit.fit(image_folder, "tiny-cnn", "partial", freeze=5)
    with pytest.raises(ConfigError, match="neither a whole number"):
        transferkit.fit(image_folder, "tiny-cnn", "partial", freeze=2.5)


def test_lora_needs_a_layer_it_can_adapt():
    depthwise_only = SequentialImageBackbone(
        "depthwise", [nn.Conv2d(3, 3, 3, groups=3)], 3, ImagePreprocessing(size=32, resize=36)
    )
    with pytest.raises(IncompatibleError, match="no linear or"):
        STRATEGIES.get("lora")().check(depthwise_only, None)


def test_lora_adapts_query_and_value_by_default_and_everything_without_attention():
    from transferkit.strategies.lora import lora_targets

    bert = create_backbone("tiny-bert")
    default, everything = lora_targets(bert), lora_targets(bert, "all")
    assert default and {n.rsplit(".", 1)[-1] for n in default} == {"query", "value"}
    assert set(default) < set(everything) and any(n.endswith(".dense") for n in everything)
    cnn = create_backbone("tiny-cnn")
    assert lora_targets(cnn) == lora_targets(cnn, "all") != []
    with pytest.raises(IncompatibleError, match="no attention query and value"):
        lora = STRATEGIES.get("lora")
        lora(lora.Config(layers="attention")).check(cnn, None)


def test_auto_explains_its_choice_and_refuses_too_little_data(image_folder, text_table):
    result = transferkit.fit(image_folder, "tiny-cnn", "auto")
    assert result.metrics.strategy.name == "linear-probe"
    assert result.notes[0].startswith("auto picked linear-probe: few-shot images")
    result = transferkit.fit(text_table, "tiny-bert", "auto", shots=8)
    assert result.metrics.strategy.name == "contrastive"
    assert "quick schedule (lower half frozen)" in result.notes[0]
    config = result.model.record.strategy.config
    assert (config["freeze"], config["epochs"], config["lr"]) == (0.5, 8, 5e-5)
    assert "blocks 3-3 of the encoder tuned 8 epochs" in " ".join(result.notes)
    result = transferkit.fit(text_table, "tiny-bert", "auto", shots=8, quick=4)
    assert result.metrics.strategy.name == "contrastive"
    assert result.model.record.strategy.config["freeze"] == 0
    assert (
        "enough data to fine-tune"
        in transferkit.fit(text_table, "tiny-bert", "auto", shots=8, few_shot=4).notes[0]
    )  # not few-shot at all: the quick schedule does not apply either
    assert (
        "auto picked linear-probe"
        in transferkit.fit(image_folder, "tiny-cnn", "auto", budget="fast").notes[0]
    )
    with pytest.raises(DataError, match="at least 2 training examples per class"):
        transferkit.fit(image_folder, "tiny-cnn", "auto", shots=1)


def test_auto_keeps_to_its_time_budget_and_its_timing_leaves_the_seed_alone(text_table):
    chosen = transferkit.fit(text_table, "tiny-bert", "auto", shots=8, few_shot=4)
    assert chosen.metrics.strategy.name == "lp-ft"
    assert re.search(
        r"lp-ft ~ \d+ s here, linear-probe ~ \d+ s, within the 10 min budget", chosen.notes[0]
    ), chosen.notes[0]
    plain = transferkit.fit(text_table, "tiny-bert", "lp-ft", shots=8)
    np.testing.assert_array_equal(
        chosen.model.predict_proba(["good fun", "dull mess"]),
        plain.model.predict_proba(["good fun", "dull mess"]),
    )  # timing a few steps first did not move the seeded initialisation or order
    tight = transferkit.fit(text_table, "tiny-bert", "auto", shots=8, few_shot=4, budget="1s")
    assert tight.metrics.strategy.name == "linear-probe"
    assert "lp-ft would not fit the 1 s budget (--budget to change it)" in tight.notes[0]
    with pytest.raises(ConfigError, match="budget 'soon' is not a time"):
        transferkit.fit(text_table, "tiny-bert", "auto", budget="soon")


def test_partial_trains_only_the_unfrozen_blocks_and_caches_views(image_splits):
    result = transferkit.fit(image_splits, "tiny-cnn", "partial", freeze=1, views=3, epochs=2)
    trained = result.model.classifier.backbone
    original = create_backbone("tiny-cnn")
    assert torch.equal(trained.blocks()[0][0].weight, original.blocks()[0][0].weight)
    assert not torch.equal(trained.blocks()[2][0].weight, original.blocks()[2][0].weight)
    assert "cached (3 view(s) per training example)" in " ".join(result.notes)


def test_contrastive_tunes_only_the_blocks_above_a_frozen_prefix(text_splits):
    result = transferkit.fit(
        text_splits, "tiny-bert", "contrastive", freeze=2, epochs=2, batch_size=8
    )
    trained, original = result.model.classifier.backbone, create_backbone("tiny-bert")
    for t, o in zip(trained.blocks(), original.blocks(), strict=True):
        same = all(torch.equal(a, b) for a, b in zip(t.parameters(), o.parameters(), strict=True))
        assert same == (t in trained.blocks()[:2])
    assert "blocks 3-3 of the encoder tuned 2 epochs" in " ".join(result.notes)
    with pytest.raises(ConfigError, match="cannot augment them; set augment=false or freeze=0"):
        transferkit.fit(text_splits, "tiny-bert", "contrastive", freeze=2, augment=True)
    with pytest.raises(IncompatibleError, match="freeze between 1 and 2"):
        transferkit.fit(text_splits, "tiny-bert", "contrastive", freeze=3)
    # a share of an encoder that is not split into blocks (auto asks for half) freezes
    # nothing; a count must still fit
    one_block = SequentialImageBackbone(
        "one-block", [nn.Conv2d(3, 4, 3)], 4, ImagePreprocessing(size=32, resize=36)
    )
    assert frozen_prefix(0.5, one_block) == 0
    with pytest.raises(IncompatibleError, match="not split into blocks"):
        frozen_prefix(1, one_block)


def test_gradual_schedule_unfreezes_top_down():
    schedule = unfreeze_schedule(19, GradualConfig(head_epochs=1, stages=4, epochs_per_stage=2))
    assert list(schedule) == [1, 3, 5, 7]
    assert schedule[1] == [14, 15, 16, 17, 18] and schedule[7] == [0, 1, 2, 3]
    assert sorted(i for g in schedule.values() for i in g) == list(range(19))


def test_lora_trains_few_parameters_and_can_merge(image_splits, tmp_path):
    result = transferkit.fit(image_splits, "tiny-cnn", "lora", epochs=2, out=tmp_path / "a")
    adapters = result.metrics.strategy.details["adapter_parameters"]
    assert 0 < adapters < create_backbone("tiny-cnn").num_features * 100
    merged = transferkit.fit(
        image_splits, "tiny-cnn", "lora", epochs=2, merge=True, out=tmp_path / "b"
    )
    names = [n for n, _ in merged.model.classifier.named_parameters()]
    assert not any("lora_" in n for n in names)
    assert transferkit.load(tmp_path / "b").predict(image_splits / "val")


def test_regularisers_hold_weights_closer_to_pretrained(image_splits):
    def drift(result):
        original = create_backbone("tiny-cnn").state_dict()
        trained = result.model.classifier.backbone.state_dict()
        return sum(
            float(((trained[k] - original[k]) ** 2).sum()) for k in original if "weight" in k
        )

    plain = transferkit.fit(image_splits, "tiny-cnn", "finetune", epochs=3, lr=3e-2, batch_size=8)
    l2sp = transferkit.fit(
        image_splits,
        "tiny-cnn",
        "finetune",
        epochs=3,
        lr=3e-2,
        batch_size=8,
        regularizer="l2sp",
        reg_weight=10.0,
    )
    assert drift(l2sp) < drift(plain)
    lwf = transferkit.fit(
        image_splits,
        "tiny-cnn",
        "finetune",
        epochs=3,
        lr=3e-2,
        batch_size=8,
        regularizer="lwf",
        reg_weight=10.0,
    )
    assert "regulariser: lwf" in lwf.notes


def test_pairwise_cosine_loss_matches_its_definition():
    e = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    y = torch.tensor([0, 0, 1])
    c = 1 / 2**0.5
    expected = ((0.0 - 1) ** 2 + (c - 0) ** 2 + (c - 0) ** 2) / 3
    assert float(pairwise_cosine_loss(e, y)) == pytest.approx(expected)


def test_scratch_trains_a_hub_architecture_whose_weights_are_not_here(
    image_folder, monkeypatch, tmp_path
):
    """``scratch`` needs no pretrained weights, so an architecture whose weights would
    download (timm:NAME offline) trains; only the probe it is compared with is missing."""
    monkeypatch.setenv("TRANSFERKIT_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    from transferkit.backbones import weights

    weights.host_reachable.cache_clear()
    result = transferkit.fit(
        image_folder, "timm:mobilenetv3_small_050", "scratch", epochs=1, cache=False
    )
    assert result.metrics.baseline is None and 0 <= result.accuracy <= 1
    with pytest.raises(WeightsUnavailableError):
        transferkit.fit(image_folder, "timm:mobilenetv3_small_050", "linear-probe", cache=False)
