"""Training and prediction at the speed of a plain PyTorch loop? MobileNetV2 on the
ants/bees photos, in one process, alternating, medians of ``--repeats``.

* training: transferkit's ``Trainer`` (Accelerate, warm-up + cosine schedule, gradient
  clipping, the metric) over ``make_loader``'s batches, against a hand-written loop
  (``DataLoader`` over the same files, the same augmentation, batch 16, channels-last,
  AdamW, cross-entropy, backward, step): images per second over one epoch of the 244
  training photos, after a warm-up epoch each;
* prediction: ``TransferModel.predictions`` of a saved linear probe (features, head,
  calibration, familiarity flags) on the 398 photos with an empty feature cache, with
  ``engine=torch`` and ``engine=onnx``, against a hand-written eval loop (batch 4,
  channels-last, backbone and head, softmax).

    .venv/bin/python -m benchmarks.loop_speed [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

import transferkit
from benchmarks._common import machine_info, write_result
from transferkit.backbones import create_backbone
from transferkit.backbones.preprocessing import load_image
from transferkit.data import read_dataset, read_inputs
from transferkit.data.batches import make_loader
from transferkit.features import FeatureCache
from transferkit.models import Classifier
from transferkit.runtime import data_root
from transferkit.training.loop import Trainer, TrainSettings, make_accelerator

BATCH = 16


def network(classes: list[str]) -> Classifier:
    torch.manual_seed(0)
    model = Classifier(create_backbone("mobilenet_v2"), classes)
    model.backbone.use_channels_last(True)
    return model


def plain_epoch(model: Classifier, files: list[Path], labels: torch.Tensor) -> float:
    prep = model.backbone.preprocessing

    def item(i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return prep.prepare(load_image(files[i]), augment=True), labels[i]

    loader = DataLoader(list(range(len(files))), batch_size=BATCH, shuffle=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    model.train()
    start = time.perf_counter()
    for idx in loader:
        x, y = zip(*(item(int(i)) for i in idx), strict=True)
        batch = torch.stack(x).contiguous(memory_format=torch.channels_last)
        loss = torch.nn.functional.cross_entropy(model(batch), torch.stack(y))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return len(files) / (time.perf_counter() - start)


def trainer_epoch(model: Classifier, files: list[Path], labels: torch.Tensor) -> float:
    loader = make_loader(
        model.backbone, files, labels.numpy(), batch_size=BATCH, shuffle=True, augment=True
    )
    settings = TrainSettings(1, None, 0.1, 1.0, 0.0)
    trainer = Trainer(settings, make_accelerator(0))
    groups = [{"params": list(model.parameters()), "lr": 5e-5}]
    start = time.perf_counter()
    trainer.fit(model, groups, loader, None)
    return len(files) / (time.perf_counter() - start)


def plain_predict(model, files: list[Path]) -> float:
    backbone, head = model.classifier.backbone.eval(), model.classifier.head.eval()
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(files), 4):
            x = torch.stack(
                [backbone.preprocessing.prepare(load_image(f)) for f in files[i : i + 4]]
            )
            x = x.contiguous(memory_format=torch.channels_last)
            torch.softmax(head(backbone.forward_features(x)), 1)
    return len(files) / (time.perf_counter() - start)


def library_predict(model, files: list[Path], engine: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        model.cache = FeatureCache(Path(tmp), engine=engine)
        start = time.perf_counter()
        model.predictions(files)
        return len(files) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root() / "hymenoptera")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    train = read_dataset(args.data, split="train")
    classes = sorted(set(train.labels))
    labels = torch.tensor([classes.index(y) for y in train.labels])
    files = list(train.inputs)
    rates: dict[str, list[float]] = {"plain loop": [], "Trainer": []}
    for run in (plain_epoch, trainer_epoch):
        run(network(classes), files, labels)  # warm-up epoch
    for _ in range(args.repeats):
        for contender, run in (("plain loop", plain_epoch), ("Trainer", trainer_epoch)):
            rates[contender].append(run(network(classes), files, labels))
    with tempfile.TemporaryDirectory() as tmp:
        result = transferkit.fit(
            args.data, "mobilenet_v2", "linear-probe", test_split="val", out=Path(tmp) / "m"
        )
        model = transferkit.load(result.out)
    everything = read_inputs(args.data, "image").inputs
    model.classifier.backbone.use_channels_last(True)
    library_predict(model, everything, "onnx")  # exports the graph once, as a first run would
    predict: dict[str, list[float]] = {"plain eval loop": [], "torch": [], "onnx": []}
    for _ in range(args.repeats):
        predict["plain eval loop"].append(plain_predict(model, everything))
        predict["torch"].append(library_predict(model, everything, "torch"))
        predict["onnx"].append(library_predict(model, everything, "onnx"))
    med = {k: statistics.median(v) for k, v in {**rates, **predict}.items()}
    out = {
        "training_images_per_second": rates,
        "predict_images_per_second": predict,
        "training_ratio": med["Trainer"] / med["plain loop"],
        "predict_ratio_torch": med["torch"] / med["plain eval loop"],
        "predict_ratio_onnx": med["onnx"] / med["plain eval loop"],
        "machine": machine_info(),
    }
    write_result("loop_speed", out)
    print(
        f"training: Trainer {med['Trainer']:.1f} img/s, plain loop {med['plain loop']:.1f} "
        f"({out['training_ratio']:.2f}x)\npredict: torch {med['torch']:.1f} img/s "
        f"({out['predict_ratio_torch']:.2f}x), onnx {med['onnx']:.1f} "
        f"({out['predict_ratio_onnx']:.2f}x), plain eval loop {med['plain eval loop']:.1f}"
    )


if __name__ == "__main__":
    main()
