from transferkit.evaluation.overfitting import overfitting_warning


def _history(train, val, best, train_acc=None, val_acc=None):
    n = len(train)
    epochs = [
        {
            "epoch": i + 1,
            "train_loss": train[i],
            "val_loss": val[i],
            "train_accuracy": (train_acc or [0.9] * n)[i],
            "val_accuracy": (val_acc or [0.85] * n)[i],
            "seconds": 1.0,
        }
        for i in range(n)
    ]
    return {"epochs": epochs, "best_epoch": best, "stopped_early": False}


def test_widening_gap_after_the_best_epoch_is_reported():
    h = _history([0.6, 0.4, 0.3, 0.2, 0.1], [0.5, 0.4, 0.42, 0.5, 0.6], best=2)
    warning = overfitting_warning(h)
    assert warning.startswith("Overfitting: after epoch 2") and "0.400 to 0.600" in warning


def test_healthy_training_gets_no_warning():
    assert (
        overfitting_warning(_history([0.6, 0.4, 0.3, 0.25], [0.55, 0.42, 0.33, 0.3], best=4))
        is None
    )
    assert overfitting_warning(None) is None


def test_large_accuracy_gap_is_reported():
    h = _history(
        [0.5, 0.3, 0.2],
        [0.5, 0.45, 0.44],
        best=3,
        train_acc=[0.8, 0.95, 1.0],
        val_acc=[0.7, 0.72, 0.7],
    )
    assert "training accuracy ends at 1.000 against 0.700" in overfitting_warning(h)
