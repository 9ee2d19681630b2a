"""AdaBN: the running statistics become the target's, and nothing else about the model
changes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from transferkit.errors import DataError, IncompatibleError
from transferkit.strategies.adaptation.norm_stats import recompute_batchnorm_statistics


def _assert_close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    # Not torch.testing.assert_close: its first call imports sympy, over a second.
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def _model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 2)
    )


def _target_batches(n: int = 4, size: int = 16) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return [3.0 * torch.randn(size, 3, generator=g) + 5.0 for _ in range(n)]


def test_running_stats_become_the_cumulative_target_statistics():
    model = _model()
    bn = model[1]
    bn.momentum = 0.3
    batches = _target_batches()
    with torch.no_grad():
        feats = [model[0](b) for b in batches]

    assert recompute_batchnorm_statistics(model, batches) == 1

    all_feats = torch.cat(feats)
    _assert_close(bn.running_mean, all_feats.mean(0))
    expected_var = torch.stack([f.var(0, unbiased=True) for f in feats]).mean(0)
    _assert_close(bn.running_var, expected_var)
    assert int(bn.num_batches_tracked) == len(batches)
    assert bn.momentum == 0.3


def test_parameters_are_unchanged_and_dropout_stays_in_eval():
    model = _model()
    before = {k: v.clone() for k, v in model.named_parameters()}
    dropout_calls: list[tuple[bool, bool]] = []

    def record(module: nn.Module, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        dropout_calls.append((module.training, torch.equal(inputs[0], output)))

    model[3].register_forward_hook(record)
    recompute_batchnorm_statistics(model, _target_batches())

    assert dropout_calls == [(False, True)] * 4
    for name, value in model.named_parameters():
        assert torch.equal(value, before[name]), name
        assert value.grad is None


def test_training_flags_are_restored_module_by_module():
    model = _model()
    model.train()
    model[3].eval()
    flags = [m.training for m in model.modules()]
    recompute_batchnorm_statistics(model, _target_batches(n=2))
    assert [m.training for m in model.modules()] == flags

    model.eval()
    recompute_batchnorm_statistics(model, _target_batches(n=2))
    assert not any(m.training for m in model.modules())


def test_conv_batchnorm_and_a_custom_forward_for_labelled_batches():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3), nn.Flatten(), nn.LazyLinear(2))
    model(torch.zeros(2, 2, 4, 4))
    g = torch.Generator().manual_seed(2)
    batches = [(torch.randn(4, 2, 4, 4, generator=g) - 2.0, torch.zeros(4)) for _ in range(3)]
    with torch.no_grad():
        feats = torch.cat([model[0](x) for x, _ in batches])

    n = recompute_batchnorm_statistics(model, batches, forward=lambda batch: model(batch[0]))

    assert n == 1
    _assert_close(model[1].running_mean, feats.mean(dim=(0, 2, 3)))


def test_a_batchnorm_layer_off_the_forward_path_keeps_its_statistics():
    model = _model()
    unused = nn.BatchNorm1d(2)
    unused.running_mean.fill_(7.0)
    model.add_module("unused", unused)
    assert recompute_batchnorm_statistics(model, _target_batches(), forward=model[:5]) == 1
    assert torch.equal(unused.running_mean, torch.full((2,), 7.0))


def test_a_model_without_batchnorm_is_refused_with_one_sentence():
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    with pytest.raises(IncompatibleError) as info:
        recompute_batchnorm_statistics(model, _target_batches())
    assert str(info.value) == (
        "AdaBN needs batch-norm layers, and this backbone has none; "
        "choose another method such as coral or dann."
    )


def test_no_batches_or_a_failing_batch_leave_the_statistics_as_they_were():
    model = _model()
    model[1].running_mean.fill_(1.5)
    with pytest.raises(DataError, match="no target batches"):
        recompute_batchnorm_statistics(model, [])
    with pytest.raises(RuntimeError):
        recompute_batchnorm_statistics(model, [torch.zeros(4, 3), torch.zeros(4, 5)])
    assert torch.equal(model[1].running_mean, torch.full((4,), 1.5))
    assert model[1].momentum == 0.1
    assert model.training
