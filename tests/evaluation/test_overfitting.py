import pytest

from tests.conftest import write_image_folder
from transferkit import fit
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


def test_accuracy_gap_with_batchnorm_in_training_points_at_freeze_bn():
    h = _history(
        [0.5, 0.3, 0.2], [2.0, 2.1, 2.2], best=3, train_acc=[0.3, 0.6, 0.8], val_acc=[0.1] * 3
    )
    assert "--freeze-bn" in overfitting_warning(h, batchnorm_trained=True)
    assert "--freeze-bn" not in overfitting_warning(h)


@pytest.mark.parametrize(
    ("strategy", "options", "expected"),
    [
        ("finetune", {}, True),
        ("finetune", {"freeze_bn": True}, False),
        ("linear-probe", {}, False),
        ("adabn", {"mode": "frozen"}, False),  # statistics recomputed, never trained
    ],
)
def test_batchnorm_counts_as_trained_only_when_it_ran_in_training_mode(
    tmp_path, strategy, options, expected
):
    data = write_image_folder(tmp_path / "images", 6, seed=1)
    if strategy == "adabn":
        options = {**options, "target": write_image_folder(tmp_path / "target", 4, seed=2)}
    result = fit(data, "tiny-cnn", strategy, epochs=1, batch_size=4, **options)
    assert result.model.classifier.batchnorm_trained is expected
