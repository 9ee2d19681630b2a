"""transferkit.adapt on tiny models: target labels stay out of training, every method runs
in both modes, and bad input gets one sentence."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from tests.conftest import write_image_folder, write_text_table
from transferkit import adapt, fit, load
from transferkit.errors import ConfigError, DataError, IncompatibleError


@pytest.fixture
def domains(tmp_path):
    source = write_image_folder(tmp_path / "source", 10, seed=1)
    target = write_image_folder(tmp_path / "target", 8, seed=2)
    return source, target


def test_adapt_reports_target_accuracy_and_domain_gap(domains, tmp_path):
    source, target = domains
    result = adapt(
        source, target, "tiny-cnn", "dann", target_labels=True, epochs=3, out=tmp_path / "m"
    )
    assert result.target_metrics.n == 16
    assert any(n.startswith("the domain discriminator told") for n in result.fit.notes)
    saved = json.loads((result.out / "metrics.json").read_text())["adaptation"]
    assert saved["proxy_a_distance_before"] == result.adaptation.gap_before
    assert saved["target_metrics"]["accuracy"] == result.target_metrics.accuracy
    html = (result.out / "report.html").read_text()
    assert "Domain gap" in html and "target domain" in html
    assert (
        f"{result.adaptation.gap_before:.3f} before, {result.adaptation.gap_after:.3f} after"
        in html
    )
    assert (result.out / "model.safetensors").exists()


def test_frozen_mode_runs_the_backbone_once_per_image(domains, tmp_path, backbone_passes):
    """Training, evaluation on target labels, the domain-gap measure and a reloaded
    model's predictions all read the cache: nothing frozen is computed twice."""
    calls = backbone_passes
    source, target = domains
    result = adapt(  # the default cache, as load() uses it (isolated per test)
        source, target, "tiny-cnn", "coral", target_labels=True, epochs=2, out=tmp_path / "m"
    )
    images = len(list(source.rglob("*.png"))) + len(list(target.rglob("*.png")))
    assert result.model.record.backbone_frozen
    assert sum(calls) == images
    load(result.out).predict(target)
    assert sum(calls) == images


def test_adabn_is_not_recorded_as_a_frozen_backbone(domains):
    source, target = domains
    result = fit(source, "tiny-cnn", "adabn", target=target, epochs=2, batch_size=4)
    assert not result.model.record.backbone_frozen


def test_adabn_head_learns_from_source_features_under_source_statistics(domains, monkeypatch):
    """Li et al.: each domain is normalised with its own batch-norm statistics. While the
    source features the head learns from are computed, every batch-norm layer's running
    statistics must be those of the source inputs it sees, not the pretrained ones."""
    from transferkit.strategies.adaptation.adabn import AdaBN

    seen: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    original = AdaBN.prepare_source_features

    def spy(self, model, ctx):
        def record(module, inputs, _output):
            if not module.training:  # the feature pass, not the statistics pass
                x = inputs[0].detach().transpose(0, 1).flatten(1)  # [channels, values]
                seen.append((x, module.running_mean.clone(), module.running_var.clone()))

        bn = next(m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d))
        handle = bn.register_forward_hook(record)
        try:
            return original(self, model, ctx)
        finally:
            handle.remove()

    monkeypatch.setattr(AdaBN, "prepare_source_features", spy)
    source, target = domains
    fit(source, "tiny-cnn", "adabn", target=target, epochs=1, batch_size=4)
    assert seen
    x = torch.cat([s[0] for s in seen], dim=1)
    mean, var = seen[-1][1], seen[-1][2]
    assert torch.allclose(x.mean(dim=1), mean, atol=0.05 * float(var.sqrt().mean()))
    assert torch.allclose(x.var(dim=1), var, rtol=0.15)


def test_target_labels_never_reach_training(domains, tmp_path):
    source, target = domains
    shuffled = tmp_path / "shuffled"
    shutil.copytree(target, shuffled)
    # swap half of the files between the class folders: the labels change, the images do not
    for i, path in enumerate(sorted((shuffled / "ants").iterdir())):
        if i % 2 == 0:
            path.rename(shuffled / "bees" / f"moved_{path.name}")
    a = fit(source, "tiny-cnn", "coral", target=target, epochs=3, mode="finetune", batch_size=4)
    b = fit(source, "tiny-cnn", "coral", target=shuffled, epochs=3, mode="finetune", batch_size=4)
    for (name, x), (_, y) in zip(
        a.model.classifier.state_dict().items(),
        b.model.classifier.state_dict().items(),
        strict=True,
    ):
        assert torch.equal(x, y), name


@pytest.mark.parametrize("method", ["source-only", "adabn", "coral", "dann", "mcc"])
@pytest.mark.parametrize("mode", ["frozen", "finetune"])
def test_every_method_in_both_modes(method, mode, domains):
    source, target = domains
    result = fit(source, "tiny-cnn", method, target=target, mode=mode, epochs=2, batch_size=4)
    assert result.metrics.strategy.details["mode"] == mode and 0 <= result.accuracy <= 1


def test_adaptation_bad_input(domains, tmp_path):
    source, _ = domains
    with pytest.raises(ConfigError, match="pass --target"):
        fit(source, "tiny-cnn", "dann")
    other = write_image_folder(tmp_path / "wasps", 4, classes=("wasps", "hornets"))
    with pytest.raises(DataError, match="classes the source lacks"):
        adapt(source, other, "tiny-cnn", "coral", target_labels=True, epochs=1)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x").mkdir()
    with pytest.raises(DataError):
        adapt(source, tmp_path / "empty", "tiny-cnn", "coral", epochs=1)
    texts = write_text_table(tmp_path / "t.csv", 10)
    with pytest.raises(IncompatibleError, match="holds text data but the model reads image"):
        adapt(source, texts, "tiny-cnn", "coral", epochs=1)
    with pytest.raises(IncompatibleError, match="AdaBN needs batch-norm"):
        adapt(texts, texts, "tiny-bert", "adabn", epochs=1)
