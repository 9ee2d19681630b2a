"""Partial fine-tuning with the frozen prefix cached against the same training without
the cache, MobileNetV2 on the ants/bees photos with the first half of its blocks frozen.

Both runs train the same blocks with the same settings for the same number of epochs;
the uncached one recomputes the frozen blocks on every step (with fresh augmentation),
the cached one computes them once per cached view before training. Printed: per-epoch
time of each and their ratio (measured in this one run), the one-off cost of filling the
cache, and test accuracy for several numbers of cached augmented views (the trade-off:
fewer distinct views against speed).

    .venv/bin/python -m benchmarks.partial_cache [--epochs 4] [--views 0 1 4]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import transferkit
from benchmarks._common import machine_info, write_result
from transferkit.runtime import data_root


def run(data: Path, epochs: int, **options: object) -> dict[str, object]:
    r = transferkit.fit(
        data,
        "mobilenet_v2",
        "partial",
        test_split="val",
        freeze=0.5,
        epochs=epochs,
        patience=None,
        seed=0,
        **options,
    )
    epoch_seconds = [e["seconds"] for e in r.metrics.history.to_dict()["epochs"]]
    return {
        "options": options,
        "epoch_seconds": epoch_seconds,
        "median_epoch_seconds": statistics.median(epoch_seconds),
        "train_seconds": r.metrics.cost.train_seconds,
        "setup_seconds": r.metrics.cost.train_seconds - sum(epoch_seconds),
        "test_accuracy": r.metrics.splits["test"].accuracy,
        "notes": r.notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root() / "hymenoptera")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--views", type=int, nargs="+", default=[0, 1, 4])
    args = parser.parse_args()
    uncached = run(args.data, args.epochs, cache_prefix=False)
    print(
        f"uncached: {uncached['median_epoch_seconds']:.1f} s/epoch, "
        f"test {uncached['test_accuracy']:.3f}"
    )
    cached = []
    for views in args.views:
        c = run(args.data, args.epochs, views=views, augment=views > 0)
        cached.append(c)
        print(
            f"cached, {views} views: {c['median_epoch_seconds']:.1f} s/epoch "
            f"(+{c['setup_seconds']:.1f} s to fill the cache), test {c['test_accuracy']:.3f}"
        )
    reference = next(c for c in cached if c["options"].get("views") == max(args.views))
    ratio = uncached["median_epoch_seconds"] / reference["median_epoch_seconds"]
    total_ratio = uncached["train_seconds"] / reference["train_seconds"]
    write_result(
        "partial_cache",
        {
            "uncached": uncached,
            "cached": cached,
            "epochs": args.epochs,
            "epoch_time_ratio": ratio,
            "total_time_ratio": total_ratio,
            "machine": machine_info(),
        },
    )
    print(
        f"\nper-epoch time, uncached / cached ({max(args.views)} views): {ratio:.2f}x (target >= 2)"
    )
    print(f"whole training over {args.epochs} epochs, cache filling included: {total_ratio:.2f}x")


if __name__ == "__main__":
    main()
