"""Fine-tuning all-MiniLM-L6-v2 on SST-2 across seeds, and the text-recipe choices that
were questioned: 2,000 sentences sampled from train.tsv with each seed, validation a
500-sentence sample of dev.tsv (where choices are judged), test.tsv held out.

Variants (each a ``finetune`` option): the defaults, ``augment=False`` (no word dropout),
``lr=1e-4`` and ``freeze_embeddings=False``. Every variant runs ``--epochs`` epochs
(the best epoch on validation is kept), without early stopping unless ``--patience`` is
given; ``--epochs 10 --patience 3`` is the library's own default schedule. Prints validation and
test accuracy per seed and their means; the choice between variants is to be made on
validation accuracy, never on test.

    .venv/bin/python -m benchmarks.sst2_finetune [--seeds 3] [--variants default no-augment]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import transferkit
from benchmarks._common import machine_info, write_result
from transferkit.runtime import data_root

VARIANTS = {
    "default": {},
    "no-augment": {"augment": False},
    "lr-1e-4": {"lr": 1e-4},
    "train-embeddings": {"freeze_embeddings": False},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root() / "sst2")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--patience", type=int, default=None)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    runs = []
    for seed in range(args.seeds):
        for name in args.variants:
            start = time.perf_counter()
            r = transferkit.fit(
                args.data,
                "all-MiniLM-L6-v2",
                "finetune",
                max_train=2000,
                max_val=500,
                epochs=args.epochs,
                patience=args.patience,
                seed=seed,
                cache=False,
                **VARIANTS[name],
            )
            runs.append(
                {
                    "variant": name,
                    "seed": seed,
                    "val_accuracy": r.metrics.splits["val"].accuracy,
                    "test_accuracy": r.metrics.splits["test"].accuracy,
                    "seconds": round(time.perf_counter() - start, 1),
                    "epochs_run": len(r.metrics.history.to_dict()["epochs"]),
                    "best_epoch": r.metrics.history.to_dict()["best_epoch"],
                }
            )
            print(
                f"{name:18s} seed {seed}: val {runs[-1]['val_accuracy']:.3f}  "
                f"test {runs[-1]['test_accuracy']:.3f}  {runs[-1]['seconds']:.0f} s",
                flush=True,
            )
    summary = {}
    for name in args.variants:
        mine = [r for r in runs if r["variant"] == name]
        summary[name] = {
            "seeds": len(mine),
            "val_mean": statistics.mean(r["val_accuracy"] for r in mine),
            "test_mean": statistics.mean(r["test_accuracy"] for r in mine),
            "test_sd": statistics.stdev(r["test_accuracy"] for r in mine)
            if len(mine) > 1
            else None,
        }
        s = summary[name]
        print(
            f"{name:18s} val {s['val_mean']:.3f}  test {s['test_mean']:.3f} over {len(mine)} seeds"
        )
    write_result(
        "sst2_finetune" if args.patience is None else "sst2_finetune_early_stopping",
        {
            "runs": runs,
            "summary": summary,
            "epochs": args.epochs,
            "patience": args.patience,
            "machine": machine_info(),
        },
    )


if __name__ == "__main__":
    main()
