"""Few-shot text classification, the hardest case: SST-2 with 8 and 64 examples per class,
several seeds, evaluated on test.tsv, all-MiniLM-L6-v2.

Every strategy sees the same sampled examples for a given seed (``--shots N --seed S``).
Time is the training time of ``fit`` (the strategy's work: tuning and fitting the head,
embedding the training examples included), not the evaluation on the 872 test sentences.
Reference figures measured by hand on this kind of machine with the same encoder: frozen
embeddings + logistic regression 0.613 (8) / 0.710 (64); SetFit 1.2.0 with its defaults
0.612 in 10 s (8) / 0.776 in 345 s (64); plain fine-tuning 0.734 in 60 s (64, 15 epochs).
Those were single runs on samples of their own; ``benchmarks/setfit_reference.py`` runs
SetFit on the very samples used here, and its figures are printed beside these.

    .venv/bin/python -m benchmarks.fewshot_sst2 [--shots 8 64] [--seeds 5] [--strategies ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import transferkit
from benchmarks._common import RESULTS, machine_info, write_result
from transferkit.evaluation.statistics import mean_ci
from transferkit.runtime import data_root

REFERENCE = {
    8: {"frozen + logistic regression": (0.613, None), "SetFit 1.2.0 defaults": (0.612, 10.0)},
    64: {
        "frozen + logistic regression": (0.710, None),
        "SetFit 1.2.0 defaults": (0.776, 345.0),
        "plain fine-tuning, 15 epochs": (0.734, 60.0),
    },
}


def parse_value(text: str) -> object:
    """``0.5`` -> 0.5, ``true`` -> True, and any other text stays a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root() / "sst2")
    parser.add_argument("--shots", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--strategies", nargs="+", default=["auto", "linear-probe", "contrastive"])
    parser.add_argument(
        "--on",
        choices=["test", "val"],
        default="test",
        help="report accuracy on test.tsv, or on the validation sample of dev.tsv (where "
        "choices such as auto's rule are to be made)",
    )
    parser.add_argument("--max-val", type=int, default=500)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds run from here up")
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="strategy options for every run (e.g. freeze=4 epochs=8 lr=5e-5)",
    )
    args = parser.parse_args()
    options = {k: parse_value(v) for k, v in (item.split("=", 1) for item in args.set)}
    rows = []
    for shots in args.shots:
        for strategy in args.strategies:
            accs, secs, picked = [], [], set()
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                r = transferkit.fit(
                    args.data,
                    "all-MiniLM-L6-v2",
                    strategy,
                    shots=shots,
                    seed=seed,
                    max_val=args.max_val,
                    cache=False,
                    **options,
                )
                accs.append(r.metrics.splits[args.on].accuracy)
                secs.append(r.metrics.cost.train_seconds)
                picked.add(r.metrics.strategy.name)
                print(
                    f"{shots:3d} shots {strategy:14s} seed {seed}: {args.on} {accs[-1]:.3f} "
                    f"in {secs[-1]:.1f} s",
                    flush=True,
                )
            mean, low, high = mean_ci(accs, bounds=(0.0, 1.0))
            rows.append(
                {
                    "shots": shots,
                    "strategy": strategy,
                    "options": options,
                    "seeds": list(range(args.first_seed, args.first_seed + args.seeds)),
                    "picked": sorted(picked),
                    "accuracy": accs,
                    "mean": mean,
                    "ci95": [low, high],
                    "std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                    "seconds": secs,
                    "median_seconds": statistics.median(secs),
                }
            )
    write_result(
        "fewshot_sst2" if args.on == "test" else "fewshot_sst2_val",
        {
            "rows": rows,
            "reference": {str(k): v for k, v in REFERENCE.items()},
            "machine": machine_info(),
            "accuracy_on": args.on,
        },
    )
    print(f"\nshots  strategy         {args.on} accuracy (mean ± sd, 95% CI)    median train time")
    for r in rows:
        print(
            f"{r['shots']:5d}  {r['strategy']:15s}  {r['mean']:.3f} ± {r['std']:.3f} "
            f"[{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]   {r['median_seconds']:7.1f} s"
        )
    for shots, refs in REFERENCE.items():
        for name, (acc, secs) in refs.items():
            print(
                f"{shots:5d}  reference: {name:30s} {acc:.3f}"
                + (f" in {secs:.0f} s" if secs else "")
            )
    paired = RESULTS / "setfit_reference.json"  # SetFit on these very samples, if measured
    if paired.exists() and args.on == "test":
        for r in json.loads(paired.read_text())["rows"]:
            print(
                f"{r['shots']:5d}  SetFit on the same samples ({len(r['accuracy'])} seeds, "
                f"benchmarks/setfit_reference.py): {r['mean']:.3f} ± {r['sd']:.3f}, median "
                f"{r['median_seconds']:.1f} s"
            )


if __name__ == "__main__":
    main()
