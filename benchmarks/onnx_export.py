"""``transferkit export`` against PyTorch ``predict``, in one run: parity on the test
split, latency at batch 1, throughput at batch 32, graph size, and int8's accuracy change.

Two models, trained here first (their fits are not timed):

* ``mnv2-probe``: MobileNetV2 linear probe on the ants/bees photos (val/ is the test split);
* ``minilm-ft``: all-MiniLM-L6-v2 fine-tuned (2 epochs) on 2,000 SST-2 sentences,
  test.tsv (872 sentences) the test split.

For each, the fp32 export and the int8 export (``--quantize int8``) are run by
``exported.reader`` (ONNX Runtime, numpy, Pillow, tokenizers), and PyTorch by
``TransferModel.predict_proba`` with the feature cache off (every input through the
backbone, as a server would). Latency: the median of ``--latency-runs`` single-input calls,
interleaved; throughput: inputs per second over the whole test split in batches of 32,
the median of ``--repeats``. Results go to ``benchmarks/results/onnx_export.json``.

    .venv/bin/python -m benchmarks.onnx_export [--repeats 3] [--latency-runs 50]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import transferkit
from benchmarks._common import machine_info, write_result
from transferkit.runtime import data_root


def _sst2(root: Path, name: str) -> tuple[list[str], list[str]]:
    with open(root / "sst2" / name, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["sentence"] for r in rows], [r["label"] for r in rows]


def _train(kind: str, root: Path, work: Path) -> tuple[Path, list, list[str]]:
    """A model directory, and its test inputs with their labels."""
    if kind == "mnv2-probe":
        data = root / "hymenoptera"
        transferkit.fit(data, "mobilenet_v2", "linear-probe", test_split="val", out=work / kind)
        files = sorted((data / "val").rglob("*.jpg"))
        return work / kind, [str(p) for p in files], [p.parent.name for p in files]
    transferkit.fit(
        root / "sst2",
        "all-MiniLM-L6-v2",
        "finetune",
        max_train=2000,
        max_val=500,
        epochs=2,
        out=work / kind,
    )
    texts, labels = _sst2(root, "test.tsv")
    return work / kind, texts, labels


def _proba(model, inputs: list, batch: int) -> np.ndarray:
    return np.concatenate(
        [model.predict_proba(inputs[i : i + batch]) for i in range(0, len(inputs), batch)]
    )


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(kind: str, root: Path, work: Path, repeats: int, latency_runs: int) -> dict:
    model_dir, inputs, labels = _train(kind, root, work)
    torch_model = transferkit.load(model_dir)
    torch_model.cache = None  # every input through the backbone
    engines = {"torch": torch_model}
    sizes = {"torch": (model_dir / "model.safetensors").stat().st_size}
    for q in (None, "int8"):
        name = "onnx-int8" if q else "onnx"
        exported = transferkit.export(model_dir, work / f"{kind}-{name}", quantize=q)
        engines[name] = transferkit.load(exported.out)
        sizes[name] = exported.bytes
    proba = {name: _proba(m, inputs, 32) for name, m in engines.items()}
    classes = torch_model.classes_
    truth = np.array([classes.index(y) for y in labels])
    row = {"test_inputs": len(inputs), "engines": {}}
    latency = {name: [] for name in engines}
    for i in range(latency_runs):  # interleaved, one input at a time
        for name, m in engines.items():
            latency[name].append(_timed(lambda m=m, i=i: m.predict_proba(inputs[i : i + 1])))
    for name, m in engines.items():
        runs = [_timed(lambda m=m: _proba(m, inputs, 32)) for _ in range(repeats)]
        row["engines"][name] = {
            "accuracy": float((proba[name].argmax(1) == truth).mean()),
            "labels_equal_torch": bool((proba[name].argmax(1) == proba["torch"].argmax(1)).all()),
            "max_abs_prob_diff_vs_torch": float(np.abs(proba[name] - proba["torch"]).max()),
            "latency_b1_ms_median": 1000 * statistics.median(latency[name]),
            "throughput_b32_per_s_median": len(inputs) / statistics.median(runs),
            "bytes": sizes[name],
        }
    base = row["engines"]["torch"]
    for r in row["engines"].values():
        r["latency_ratio_vs_torch"] = r["latency_b1_ms_median"] / base["latency_b1_ms_median"]
        r["throughput_ratio_vs_torch"] = (
            r["throughput_b32_per_s_median"] / base["throughput_b32_per_s_median"]
        )
        r["accuracy_change_vs_torch"] = r["accuracy"] - base["accuracy"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency-runs", type=int, default=50)
    parser.add_argument("--models", nargs="+", default=["mnv2-probe", "minilm-ft"])
    args = parser.parse_args()
    root = data_root()
    result = {"machine": machine_info(), "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.models:
            result["models"][kind] = measure(kind, root, Path(tmp), args.repeats, args.latency_runs)
            print(kind, result["models"][kind], flush=True)
    print(write_result("onnx_export", result))


if __name__ == "__main__":
    main()
