"""Domain adaptation: source-only against every method, target accuracy measured on the
target's labels (read only for that), in frozen mode (cached backbone features, a
bottleneck and the head adapt).

* PACS-mini photo -> art_painting, cartoon, sketch with MobileNetV2 and EfficientNet-Lite0;
* Amazon reviews with all-MiniLM-L6-v2: books -> kitchen, dvd -> electronics,
  electronics -> books;
* digits: MNIST -> USPS (MobileNetV2; each domain subsampled).

    .venv/bin/python -m benchmarks.domain_adaptation [--suites pacs amazon digits] [--seeds 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import transferkit
from benchmarks._common import RESULTS, machine_info, write_result
from transferkit.features import FeatureCache
from transferkit.runtime import data_root

METHODS = ["source-only", "adabn", "coral", "dann", "mcc"]


def suites(root: Path) -> dict[str, list[tuple[str, Path, Path, dict]]]:
    pacs = root / "pacs-mini"
    reviews = root / "amazon-reviews"
    digits = root / "digits"
    image_pairs = [
        (f"photo->{t}", pacs / "photo", pacs / t, {}) for t in ("art_painting", "cartoon", "sketch")
    ]
    return {
        "pacs-mobilenet_v2": [(n, s, t, {"model": "mobilenet_v2"}) for n, s, t, _ in image_pairs],
        "pacs-efficientnet_lite0": [
            (n, s, t, {"model": "efficientnet_lite0"}) for n, s, t, _ in image_pairs
        ],
        "amazon": [
            (f"{a}->{b}", reviews / a, reviews / b, {"model": "all-MiniLM-L6-v2"})
            for a, b in (("books", "kitchen"), ("dvd", "electronics"), ("electronics", "books"))
        ],
        "digits": [
            (
                "mnist->usps",
                digits / "mnist-test",
                digits / "usps",
                {"model": "mobilenet_v2", "max_train": 2000},
            )
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root())
    parser.add_argument("--suites", nargs="+", default=["pacs", "amazon", "digits"])
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the saved rows of suites not run now (each row records its own machine)",
    )
    args = parser.parse_args()
    cache = FeatureCache()
    rows = []
    machine = machine_info()
    for suite, pairs in suites(args.data).items():
        if not any(suite.startswith(s) for s in args.suites):
            continue
        for name, source, target, options in pairs:
            model = options.pop("model")
            for method in args.methods:
                accs, gaps, secs = [], [], []
                for seed in range(args.seeds):
                    start = time.perf_counter()
                    try:
                        r = transferkit.adapt(
                            source,
                            target,
                            model,
                            method,
                            target_labels=True,
                            seed=seed,
                            cache=cache,
                            **options,
                        )
                    except transferkit.TransferkitError as exc:
                        print(f"{suite} {name} {method}: {exc}")
                        break
                    accs.append(r.target_metrics.accuracy)
                    gaps.append((r.adaptation.gap_before, r.adaptation.gap_after))
                    secs.append(time.perf_counter() - start)
                if not accs:
                    continue
                rows.append(
                    {
                        "suite": suite,
                        "pair": name,
                        "method": method,
                        "target_accuracy": accs,
                        "mean": statistics.mean(accs),
                        "gap_before": gaps[0][0],
                        "gap_after": gaps[0][1],
                        "seconds": statistics.median(secs),
                        "seeds": len(accs),
                        "machine": machine,
                    }
                )
                print(
                    f"{suite:24s} {name:22s} {method:12s} target {rows[-1]['mean']:.3f}  "
                    f"gap {gaps[0][0]:.2f} -> {gaps[0][1]:.2f}  {rows[-1]['seconds']:.0f} s",
                    flush=True,
                )
            options["model"] = model
    if args.keep:
        ran = {r["suite"] for r in rows}
        rows = [r for r in saved_rows() if r["suite"] not in ran] + rows
    summary = {}
    for suite in dict.fromkeys(r["suite"] for r in rows):
        by_method = {
            m: statistics.mean(r["mean"] for r in rows if r["suite"] == suite and r["method"] == m)
            for m in args.methods
            if any(r["suite"] == suite and r["method"] == m for r in rows)
        }
        summary[suite] = by_method
        base = by_method.get("source-only")
        print(f"\n{suite}: mean target accuracy over pairs")
        for m, acc in by_method.items():
            delta = (
                f" ({acc - base:+.3f} vs source-only)"
                if base is not None and m != "source-only"
                else ""
            )
            print(f"  {m:12s} {acc:.3f}{delta}")
    write_result(
        "domain_adaptation",
        {"rows": rows, "summary": summary, "machine": machine},
    )


def saved_rows() -> list[dict]:
    path = RESULTS / "domain_adaptation.json"
    return json.loads(path.read_text())["rows"] if path.exists() else []


if __name__ == "__main__":
    main()
