"""Why does fine-tuning fail on a few digits? Batch-norm statistics, measured.

The MNIST sample of ``benchmarks.transferability`` (10 training and 10 test digits per
class, seed 0; the training digits split again into training and validation), one
backbone (EfficientNet-Lite0 by default), ``finetune`` at its defaults, then without
augmentation, then with ``freeze_bn`` (batch-norm statistics kept as pretrained while
training), and ``linear-probe`` for reference. Prints test accuracy and the per-epoch
training and validation accuracy: a network whose training accuracy climbs while its
validation accuracy stays at chance is evaluated with other statistics than it trained
with.

    .venv/bin/python -m benchmarks.digits_freeze_bn [--model efficientnet_lite0]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import transferkit
from benchmarks.transferability import SIZES, vision_tasks
from transferkit.runtime import data_root

RUNS = {
    "finetune": ("finetune", {}),
    "finetune, no augmentation": ("finetune", {"augment": False}),
    "finetune --freeze-bn": ("finetune", {"freeze_bn": True}),
    "linear-probe": ("linear-probe", {}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="efficientnet_lite0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (task,) = [t for t in vision_tasks(data_root(), Path(tmp), SIZES) if t.name == "mnist"]
        for label, (strategy, options) in RUNS.items():
            r = transferkit.fit(task.data, args.model, strategy, seed=0, **options)
            line = f"{label:26s} test {r.metrics.splits['test'].accuracy:.3f}"
            history = r.metrics.history.to_dict() if r.metrics.history else None
            if history:
                epochs = history["epochs"]
                line += (
                    f"  best epoch {history['best_epoch']}"
                    f"  train {[round(e['train_accuracy'], 2) for e in epochs]}"
                    f"  val {[round(e['val_accuracy'], 2) for e in epochs]}"
                )
            print(line, flush=True)


if __name__ == "__main__":
    main()
