"""Frozen features through ONNX Runtime against PyTorch's floor, in one run.

For MobileNetV2 on the ants/bees photos and all-MiniLM-L6-v2 on 2,000 SST-2 sentences,
three passes over the same inputs are timed, interleaved, ``--repeats`` times:

* the PyTorch floor: a hand-written inference-mode pass (decode or tokenize, then the
  backbone), with the fastest batch size and memory layout for images;
* ``forward_features(engine="torch")``: transferkit's own PyTorch pass;
* ``forward_features(engine="onnx")``: the backbone exported to ONNX (once, timed apart)
  and run by ONNX Runtime.

Then parity: features of 100 inputs of every offline backbone under both engines (largest
difference, smallest cosine), and the linear probe's test predictions on ants/bees with
each engine. Results go to ``benchmarks/results/onnx_engine.json``.

    .venv/bin/python -m benchmarks.onnx_engine [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

import transferkit
from benchmarks._common import machine_info, write_result
from benchmarks.linear_probe_speed import fastest_floor
from transferkit.backbones import create_backbone
from transferkit.data import read_inputs
from transferkit.features import onnx_engine
from transferkit.features.extract import forward_features
from transferkit.runtime import data_root


def text_floor(backbone, texts: list[str], batch: int = 32) -> float:
    """One hand-written pass over the texts: tokenize and run the encoder."""
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(texts), batch):
            backbone.forward_features(backbone.collate(texts[i : i + batch]))
    return time.perf_counter() - start


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def speed(name: str, inputs: list, repeats: int) -> dict:
    backbone = create_backbone(name).eval()
    if backbone.modality == "image":
        backbone.use_channels_last(True)
    path = onnx_engine.graph_path(backbone.fingerprint())
    path.unlink(missing_ok=True)
    export = timed(lambda: forward_features(backbone, inputs[:4], engine="onnx"))
    runs: dict[str, list[float]] = {"floor": [], "torch": [], "onnx": []}
    for _ in range(repeats):
        if backbone.modality == "image":
            runs["floor"].append(fastest_floor(backbone, inputs)[0])
            backbone.use_channels_last(True)
        else:
            runs["floor"].append(text_floor(backbone, inputs))
        runs["torch"].append(timed(lambda: forward_features(backbone, inputs, engine="torch")))
        runs["onnx"].append(timed(lambda: forward_features(backbone, inputs, engine="onnx")))
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(
        f"{name}: {len(inputs)} inputs; floor {med['floor']:.2f} s, transferkit torch "
        f"{med['torch']:.2f} s, onnx {med['onnx']:.2f} s = {med['floor'] / med['onnx']:.2f}x "
        f"the floor (export, once: {export:.1f} s)"
    )
    return {
        "inputs": len(inputs),
        "seconds": runs,
        "export_seconds": export,
        "speedup_onnx_over_floor": med["floor"] / med["onnx"],
    }


def parity(name: str, inputs: list) -> dict:
    backbone = create_backbone(name).eval()
    a = forward_features(backbone, inputs, engine="torch")
    b = forward_features(backbone, inputs, engine="onnx")
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    out = {"max_abs_difference": float(np.abs(a - b).max()), "min_cosine": float(cos.min())}
    print(f"parity {name}: {out}")
    return out


def probe_agreement(data: Path) -> dict:
    runs = {
        engine: transferkit.fit(
            data, "mobilenet_v2", "linear-probe", test_split="val", cache=False, engine=engine
        )
        for engine in ("torch", "onnx")
    }
    labels = {e: r.model.predict(r.splits.test) for e, r in runs.items()}
    differ = sum(x != y for x, y in zip(labels["torch"], labels["onnx"], strict=True))
    out = {
        "test_predictions": len(labels["torch"]),
        "differ": differ,
        "accuracy": {e: r.accuracy for e, r in runs.items()},
    }
    print(f"linear probe on ants/bees, torch against onnx features: {out}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = data_root()
    images = read_inputs(root / "hymenoptera", "image").inputs
    texts = read_inputs(root / "sst2" / "train.tsv", "text").inputs[:2000]
    result = {
        "speed": {
            "mobilenet_v2": speed("mobilenet_v2", images, args.repeats),
            "all-MiniLM-L6-v2": speed("all-MiniLM-L6-v2", texts, args.repeats),
        },
        "parity": {
            name: parity(name, images[:100] if "MiniLM" not in name else texts[:100])
            for name in (
                "mobilenet_v2",
                "efficientnet_lite0",
                "efficientnet_lite1",
                "efficientnet_lite2",
                "all-MiniLM-L6-v2",
            )
        },
        "linear_probe": probe_agreement(root / "hymenoptera"),
        "machine": machine_info(),
    }
    write_result("onnx_engine", result)


if __name__ == "__main__":
    main()
