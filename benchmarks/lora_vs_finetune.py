"""LoRA against full fine-tuning for all-MiniLM-L6-v2 on SST-2 (2,000 sampled training
sentences, test.tsv held out), for MobileNetV2 on ants/bees and for the generative
SmolLM2-135M-Instruct on SST-2 (128 sentences, 64 per class): peak memory, time per epoch
and per step, trainable parameters and test accuracy. Also LP-FT.

Each variant runs in its own process so its peak resident memory can be read after the
model is loaded and after it is trained (before any assessment); the difference is what
training adds. The peak during training is the kernel's high-water mark (``VmHWM``),
reset once the model is loaded (``/proc/self/clear_refs``), so a loader's transient peak
(SmolLM2's GGUF file is dequantised to fp32 on load) does not hide what training needs;
rows recorded before that change (``memory_method`` absent) took the process's
``ru_maxrss``, which never resets, and are compared only with rows of their own run.
Variants of LoRA: which layers get adapters, adapter dropout, and activation
checkpointing.

    .venv/bin/python -m benchmarks.lora_vs_finetune [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

from benchmarks._common import RESULTS, machine_info, write_result
from transferkit.runtime import data_root

CHILD = """
import json, sys, transferkit
from transferkit.backbones import create_backbone
data, backbone, strategy, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
options = json.loads(sys.argv[5])
def status(field):  # MB, from the kernel's account of this process
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
if strategy == "load-only":
    create_backbone(backbone); print(json.dumps({"peak_rss_mb": status("VmHWM")})); sys.exit()
from transferkit.workflows.prepare import prepare
from transferkit.workflows.fit import train
p = prepare(data, backbone, strategy, 0, cache=False, options={
    "max_train": 2000, "max_val": 1000, "epochs": epochs, "patience": None, **options})
peak_loading = status("VmHWM")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the high-water mark to the resident size now
loaded = status("VmRSS")
t = train(p)
trained = status("VmHWM")  # the peak while training, before any assessment
test = p.splits.test
acc = float((t.model.predictions(test).proba.argmax(1) == test.encode(t.model.classes_)).mean())
h = t.outcome.history.to_dict()
best = h["epochs"][h["best_epoch"] - 1]
print(json.dumps({"test_accuracy": acc, "val_accuracy": best["val_accuracy"],
                  "train_seconds": t.seconds, "epoch_seconds": [e["seconds"] for e in h["epochs"]],
                  "trainable": t.model.classifier.trainable_parameters(),
                  "total": t.model.classifier.total_parameters(), "notes": t.outcome.notes,
                  "peak_loading_mb": peak_loading, "rss_loaded_mb": loaded,
                  "peak_rss_mb": trained, "training_adds_mb": trained - loaded,
                  "train_examples": len(p.splits.train), "memory_method": "VmHWM reset"}))
"""


TEXT, IMAGES = ("sst2", "all-MiniLM-L6-v2"), ("hymenoptera", "mobilenet_v2")
LLM = ("sst2", "smollm2-135m-instruct")
#: SmolLM2 on 64 sentences per class, its labels as words, 8 per step
LLM_DATA = {
    "shots": 64,
    "max_train": None,  # the sample is shots per class
    "max_val": 64,
    "label_names": ["0=negative", "1=positive"],
    "batch_size": 8,
}
#: name -> (data set, backbone, strategy, options); the first of each backbone is the
#: baseline its ratios are taken against.
VARIANTS = {
    "finetune": (*TEXT, "finetune", {}),
    "lora (default: query/value)": (*TEXT, "lora", {}),
    "lora (query/value, checkpointing)": (*TEXT, "lora", {"checkpointing": True}),
    "lora (all layers, dropout 0.05)": (*TEXT, "lora", {"layers": "all", "dropout": 0.05}),
    "lp-ft": (*TEXT, "lp-ft", {}),
    "finetune (MobileNetV2)": (*IMAGES, "finetune", {"test_split": "val"}),
    "lora (MobileNetV2)": (*IMAGES, "lora", {"test_split": "val"}),
    "finetune (SmolLM2)": (*LLM, "finetune", LLM_DATA),
    "lora (SmolLM2, query/value)": (*LLM, "lora", LLM_DATA),
    "lora (SmolLM2, query/value, checkpointing)": (
        *LLM,
        "lora",
        {**LLM_DATA, "checkpointing": True},
    ),
    # glibc keeps freed blocks of a few MB for reuse (its mmap threshold rises to 32 MB after
    # the first frees), so the resident peak holds every activation size ever freed; with the
    # threshold fixed, freed activations go back to the kernel and the peak is the working set
    "finetune (glibc returns freed blocks)": (*TEXT, "finetune", {}),
    "lora (glibc returns freed blocks)": (*TEXT, "lora", {}),
}
#: variants run with these environment variables (and compared with the first such variant)
ENV = {name: {"MALLOC_MMAP_THRESHOLD_": "262144"} for name in VARIANTS if "glibc returns" in name}


def run_child(
    data: Path,
    backbone: str,
    strategy: str,
    epochs: int,
    options: dict | None = None,
    env: dict | None = None,
) -> dict:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(data),
            backbone,
            strategy,
            str(epochs),
            json.dumps(options or {}),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", type=Path, default=data_root())
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = parser.parse_args()
    earlier = RESULTS / "lora_vs_finetune.json"
    # rows not run now keep their earlier figures (each with the run's machine and date)
    rows: dict[str, dict] = json.loads(earlier.read_text())["rows"] if earlier.exists() else {}
    baselines: dict[tuple, dict] = {}
    for name in args.variants:
        data, backbone, strategy, options = VARIANTS[name]
        env = ENV.get(name)
        key = (backbone, json.dumps(env))
        if key not in baselines:
            loaded = run_child(args.data_root / data, backbone, "load-only", 0, env=env)
            rows[f"load-only ({backbone}{', ' + json.dumps(env) if env else ''})"] = loaded
            print(f"loading {backbone} alone: peak {loaded['peak_rss_mb']:.0f} MB")
        r = run_child(args.data_root / data, backbone, strategy, args.epochs, options, env)
        rows[name] = r = {**r, "env": env, "machine": machine_info()}
        r["seconds_per_epoch"] = sum(r["epoch_seconds"]) / len(r["epoch_seconds"])
        steps = math.ceil(r["train_examples"] / options.get("batch_size", 16))
        r["seconds_per_step"] = r["seconds_per_epoch"] / steps  # validation included
        base = baselines.setdefault(key, r)
        r["memory_ratio"] = r["training_adds_mb"] / base["training_adds_mb"]
        r["epoch_time_ratio"] = r["seconds_per_epoch"] / base["seconds_per_epoch"]
        write_result(  # after every row: a failure later keeps what was measured
            "lora_vs_finetune", {"rows": rows, "epochs": args.epochs, "machine": machine_info()}
        )
        print(
            f"{name:34s} val {r['val_accuracy']:.3f} test {r['test_accuracy']:.3f}  "
            f"{r['trainable'] / r['total']:.2%} trainable  {r['seconds_per_epoch']:.0f} s/epoch "
            f"({r['epoch_time_ratio']:.2f}x)  peak {r['peak_rss_mb']:.0f} MB, training adds "
            f"{r['training_adds_mb']:.0f} MB ({r['memory_ratio']:.2f}x)"
        )
    write_result(
        "lora_vs_finetune", {"rows": rows, "epochs": args.epochs, "machine": machine_info()}
    )


if __name__ == "__main__":
    main()
