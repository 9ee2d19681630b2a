"""The best epoch's weights, kept without a copy of what never trains."""

from __future__ import annotations

import torch
from torch import nn

from transferkit.training.loop import _add_unsaved, _clone_state


def test_the_best_state_skips_frozen_weights_and_still_restores_later_unfrozen_ones():
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    model[0].requires_grad_(False)  # frozen, as a backbone block before gradual unfreezing
    best = _clone_state(model)
    assert "0.weight" not in best and {"1.running_mean", "2.weight"} <= set(best)
    model[0].requires_grad_(True)  # unfrozen at a later epoch's start, before any step
    _add_unsaved(best, model)
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)  # later epochs train everything, and turn out worse
    model[1].running_mean.add_(5.0)
    model.load_state_dict(best, strict=False)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, expected[k], msg=k)
