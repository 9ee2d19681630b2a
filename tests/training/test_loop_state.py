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


def _history(epochs: int, patience: int):
    """A run whose validation accuracy only falls after the first epoch: patience runs out
    after ``patience`` more epochs."""
    from torch.utils.data import DataLoader, TensorDataset

    from transferkit.training.loop import Trainer, TrainSettings, make_accelerator

    torch.manual_seed(0)
    x, y = torch.randn(16, 3), torch.randint(0, 2, (16,))
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    trainer = Trainer(TrainSettings(epochs, patience=patience), make_accelerator(0))
    scores = iter([(0.0, 0.9)] + [(1.0, 0.1)] * epochs)  # (loss, accuracy) per validation
    trainer.evaluate = lambda model, loader: next(scores)
    model = nn.Linear(3, 2)
    return trainer.fit(model, [{"params": model.parameters(), "lr": 1e-3}], loader, loader)


def test_stopped_early_only_when_epochs_were_left_to_run():
    early = _history(epochs=5, patience=2)
    assert len(early.epochs) == 3 and early.best_epoch == 1 and early.stopped_early
    # patience ends exactly on the last epoch: the schedule ran in full, nothing was skipped
    full = _history(epochs=3, patience=2)
    assert len(full.epochs) == 3 and full.best_epoch == 1 and not full.stopped_early
