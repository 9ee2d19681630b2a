"""How much of the ImageNet skill survives adaptation to the ants/bees photos, MobileNetV2:
agreement of the original 1,000-class head's predictions before and after, and linear CKA
between original and adapted features, on the 153 held-out photos — for plain
fine-tuning, fine-tuning with L2-SP and with LwF, LoRA, LP-FT, partial and gradual
(whose test accuracies are the strategies' figures on this data set in the README).

    .venv/bin/python -m benchmarks.forgetting
"""

from __future__ import annotations

import argparse
from pathlib import Path

import transferkit
from benchmarks._common import machine_info, write_result
from transferkit.runtime import data_root

RUNS = {
    "finetune": ("finetune", {}),
    "finetune + L2-SP": ("finetune", {"regularizer": "l2sp", "reg_weight": 0.1}),
    "finetune + LwF": ("finetune", {"regularizer": "lwf", "reg_weight": 1.0}),
    "lora": ("lora", {}),
    "lp-ft": ("lp-ft", {}),
    "partial": ("partial", {}),
    "gradual": ("gradual", {}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root() / "hymenoptera")
    parser.add_argument("--runs", nargs="+", default=list(RUNS))
    args = parser.parse_args()
    rows = {}
    for name in args.runs:
        strategy, options = RUNS[name]
        r = transferkit.fit(
            args.data, "mobilenet_v2", strategy, test_split="val", seed=0, **options
        )
        f = r.metrics.forgetting
        rows[name] = {
            "test_accuracy": r.accuracy,
            "source_agreement": f["source_agreement"],
            "cka": f["cka"],
            "train_seconds": r.metrics.cost.train_seconds,
        }
        print(
            f"{name:18s} test {r.accuracy:.3f}  ImageNet predictions kept "
            f"{f['source_agreement']:.3f}  CKA {f['cka']:.3f}  "
            f"({r.metrics.cost.train_seconds:.0f} s)",
            flush=True,
        )
    write_result("forgetting", {"rows": rows, "machine": machine_info()})


if __name__ == "__main__":
    main()
