"""How close is ``linear-probe`` to the cost of one forward pass, and how much faster than
the PyTorch tutorial's fixed-feature recipe?

Three things are timed in one process, on the same images with the same preprocessing:

* the floor: the fastest single inference-mode pass of the backbone over every image
  (decode, resize, crop, normalise, forward), written by hand, trying several batch sizes
  and memory layouts and keeping the fastest;
* ``transferkit.fit(..., strategy="linear-probe")`` end to end, with an empty feature
  cache: reading the folder, hashing files, embedding train and test, choosing C by
  cross-validation, predicting, and writing the model directory;
* the tutorial's fixed-feature recipe written by hand: a new final layer trained with SGD
  for 25 epochs, the frozen backbone re-run on every image every epoch.

The floor and fit are repeated and interleaved; medians are reported, with the ratio
of medians. Results go to ``benchmarks/results/linear_probe_speed.json``.

    .venv/bin/python -m benchmarks.linear_probe_speed [--data DIR] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

import transferkit
from benchmarks._common import machine_info, write_result
from transferkit.backbones import create_backbone
from transferkit.backbones.preprocessing import load_image
from transferkit.data import read_inputs
from transferkit.features import FeatureCache
from transferkit.runtime import data_root


def floor_pass(backbone, files: list[Path], batch: int, channels_last: bool) -> float:
    """One hand-written inference pass over ``files``; returns seconds."""
    backbone.use_channels_last(channels_last)
    prep = backbone.preprocessing
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(files), batch):
            x = torch.stack([prep.prepare(load_image(f)) for f in files[i : i + batch]])
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            backbone.forward_features(x)
    return time.perf_counter() - start


def fastest_floor(backbone, files: list[Path]) -> tuple[float, str]:
    candidates = [(2, True), (4, True), (8, True), (16, False), (32, False)]
    timed = [
        (floor_pass(backbone, files, b, cl), f"batch {b}, {'channels_last' if cl else 'NCHW'}")
        for b, cl in candidates
    ]
    return min(timed)


def fit_once(data: Path) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = transferkit.fit(
            data,
            "mobilenet_v2",
            "linear-probe",
            test_split="val",
            out=Path(tmp) / "model",
            cache=FeatureCache(Path(tmp) / "cache"),
        )
        return time.perf_counter() - start, result.accuracy


def tutorial_fixed_features(data: Path, epochs: int) -> tuple[float, float]:
    """The tutorial's 'ConvNet as fixed feature extractor', on MobileNetV2."""
    backbone = create_backbone("mobilenet_v2").eval()
    prep = backbone.preprocessing
    head = torch.nn.Linear(backbone.num_features, 2)
    opt = torch.optim.SGD(head.parameters(), lr=0.001, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.1)
    train = read_inputs(data / "train", "image").inputs
    val = read_inputs(data / "val", "image").inputs
    label = {"ants": 0, "bees": 1}
    y_train = torch.tensor([label[p.parent.name] for p in train])
    y_val = torch.tensor([label[p.parent.name] for p in val])
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    acc = 0.0
    for _ in range(epochs):
        order = torch.randperm(len(train), generator=gen)
        for i in range(0, len(train), 4):
            idx = order[i : i + 4]
            x = torch.stack([prep.prepare(load_image(train[j]), augment=True) for j in idx])
            with torch.no_grad():
                feats = backbone.forward_features(x)
            loss = torch.nn.functional.cross_entropy(head(feats), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        correct = 0
        with torch.inference_mode():
            for i in range(0, len(val), 4):
                x = torch.stack([prep.prepare(load_image(f)) for f in val[i : i + 4]])
                correct += int(
                    (head(backbone.forward_features(x)).argmax(1) == y_val[i : i + 4]).sum()
                )
        acc = correct / len(val)
    return time.perf_counter() - start, acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root() / "hymenoptera")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tutorial-epochs", type=int, default=25)
    args = parser.parse_args()

    files = read_inputs(args.data, "image").inputs
    backbone = create_backbone("mobilenet_v2").eval()
    fit_once(args.data)  # warm imports and file system caches for every contender alike
    floors, fits, accs, floor_setting = [], [], [], ""
    for r in range(args.repeats):
        seconds, floor_setting = fastest_floor(backbone, files)
        floors.append(seconds)
        seconds, acc = fit_once(args.data)
        fits.append(seconds)
        accs.append(acc)
        print(
            f"run {r + 1}: floor {floors[-1]:.2f} s ({floor_setting}), "
            f"linear-probe fit {fits[-1]:.2f} s"
        )
    tutorial_s, tutorial_acc = tutorial_fixed_features(args.data, args.tutorial_epochs)
    floor, fit = statistics.median(floors), statistics.median(fits)
    result = {
        "images": len(files),
        "floor_seconds": floors,
        "floor_setting": floor_setting,
        "fit_seconds": fits,
        "fit_test_accuracy": accs,
        "tutorial_epochs": args.tutorial_epochs,
        "tutorial_seconds": tutorial_s,
        "tutorial_test_accuracy": tutorial_acc,
        "ratio_fit_to_floor": fit / floor,
        "speedup_over_tutorial": tutorial_s / fit,
        "machine": machine_info(),
    }
    write_result("linear_probe_speed", result)
    print(f"\n{len(files)} images; medians of {args.repeats} runs")
    print(f"floor (one inference pass)      {floor:7.2f} s")
    print(
        f"linear-probe fit, end to end    {fit:7.2f} s   = {fit / floor:.2f} x the floor "
        "(target <= 1.3)"
    )
    print(
        f"tutorial fixed features, {args.tutorial_epochs} ep {tutorial_s:7.2f} s   = "
        f"{tutorial_s / fit:.1f} x slower than fit (target >= 20)"
    )
    print(f"test accuracy: fit {statistics.median(accs):.3f}, tutorial recipe {tutorial_acc:.3f}")


if __name__ == "__main__":
    main()
