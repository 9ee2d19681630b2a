"""LoRA against full fine-tuning for all-MiniLM-L6-v2 on SST-2 (2,000 sampled training
sentences, test.tsv held out): peak memory, time per epoch, trainable parameters and
test accuracy. Also LP-FT.

Each strategy runs in its own process so its peak resident memory can be read
(the child's own ``ru_maxrss``); the memory of loading the model alone is measured the same
way and reported beside it.

    .venv/bin/python -m benchmarks.lora_vs_finetune [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from benchmarks._common import machine_info, write_result
from transferkit.runtime import data_root

CHILD = """
import json, resource, sys, transferkit
from transferkit.backbones import create_backbone
data, strategy, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
if strategy == "load-only":
    create_backbone("all-MiniLM-L6-v2"); print(json.dumps({"peak_rss_mb": peak()})); sys.exit()
r = transferkit.fit(data, "all-MiniLM-L6-v2", strategy, max_train=2000, max_val=1000, seed=0,
                    epochs=epochs, patience=None, cache=False)
m = r.metrics
print(json.dumps({"test_accuracy": m["test"]["accuracy"], "train_seconds": m["train_seconds"],
                  "epoch_seconds": [e["seconds"] for e in m["history"]["epochs"]],
                  "trainable": m["trainable_parameters"], "total": m["total_parameters"],
                  "notes": r.notes, "peak_rss_mb": peak()}))
"""


def run_child(data: Path, strategy: str, epochs: int) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), strategy, str(epochs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root() / "sst2")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--strategies", nargs="+", default=["finetune", "lora", "lp-ft"])
    args = parser.parse_args()
    rows = {"load-only": run_child(args.data, "load-only", 0)}
    print(f"loading the model alone: peak {rows['load-only']['peak_rss_mb']:.0f} MB")
    for s in args.strategies:
        rows[s] = run_child(args.data, s, args.epochs)
        r = rows[s]
        per_epoch = sum(r["epoch_seconds"]) / len(r["epoch_seconds"])
        share = r["trainable"] / r["total"]
        print(
            f"{s:9s} test {r['test_accuracy']:.3f}  {r['trainable']:,} trainable ({share:.2%})  "
            f"{per_epoch:.0f} s/epoch  peak {r['peak_rss_mb']:.0f} MB"
        )
    write_result(
        "lora_vs_finetune", {"rows": rows, "epochs": args.epochs, "machine": machine_info()}
    )


if __name__ == "__main__":
    main()
