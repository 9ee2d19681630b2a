"""Reading a training history for overfitting."""

from __future__ import annotations

import math
from typing import Any


def overfitting_warning(
    history: dict[str, Any] | None, gap: float = 0.15, batchnorm_trained: bool = False
) -> str | None:
    """A one-sentence warning when training kept improving after validation stopped: the
    training loss fell and the validation loss rose over the epochs after the best one,
    widening the gap between them — or when training accuracy ends far above validation
    accuracy (by more than ``gap``). ``None`` when neither shows.

    ``batchnorm_trained``: the backbone has batch-norm layers that ran in training mode.
    Then a large accuracy gap may not be overfitting at all: the network trains under
    each batch's statistics and is evaluated under running statistics that trail behind
    on data unlike its source (EfficientNet-Lite0 on 80 MNIST digits: 0.18 by default,
    0.87 with ``freeze_bn``; ``benchmarks/digits_freeze_bn.py``), and the warning says
    so."""
    if not history:
        return None
    epochs = [e for e in history["epochs"] if not math.isnan(e["val_loss"])]
    best = history.get("best_epoch", -1)
    if len(epochs) < 3 or best < 1:
        return None
    at_best = next((e for e in epochs if e["epoch"] == best), None)
    last = epochs[-1]
    if at_best is not None and last["epoch"] - best >= 2:
        gap_best = at_best["val_loss"] - at_best["train_loss"]
        widened = (last["val_loss"] - last["train_loss"]) > gap_best
        train_fell = last["train_loss"] < at_best["train_loss"]
        if train_fell and last["val_loss"] > at_best["val_loss"] and widened:
            return (
                f"Overfitting: after epoch {best} the training loss kept falling "
                f"({at_best['train_loss']:.3f} to {last['train_loss']:.3f}) while the validation "
                f"loss rose ({at_best['val_loss']:.3f} to {last['val_loss']:.3f}); the "
                f"epoch-{best} model was kept, and more data, stronger augmentation or "
                "--regularizer l2sp may help."
            )
    gap_now = last["train_accuracy"] - last["val_accuracy"]
    if not math.isnan(gap_now) and gap_now > gap:
        ends = (
            f"training accuracy ends at {last['train_accuracy']:.3f} against "
            f"{last['val_accuracy']:.3f} on validation"
        )
        if batchnorm_trained:
            return (
                f"Overfitting, or batch-norm statistics: {ends}; if your inputs look unlike "
                "the backbone's source images, retrain with --freeze-bn, else more data, "
                "stronger augmentation or a frozen backbone (linear-probe) may help."
            )
        return (
            f"Overfitting: {ends}; more data, stronger augmentation or a frozen backbone "
            "(linear-probe, partial) may generalise better."
        )
    return None
