"""Classification with a generative LLM (SmolLM2-135M-Instruct): prompting it against
adapting it with LoRA, beside the MiniLM sentence-encoder rows, on the same samples.

Data: SST-2 (training samples from ``train.tsv``, validation a sample of ``--max-val``
sentences of ``dev.tsv``) and the Amazon kitchen reviews (validation carved from each
sample). The test split is fixed for every method and seed: ``--test-size`` examples, half
per class, drawn once with seed 1234 (from SST-2's ``test.tsv``; from the Amazon reviews,
which are then left out of the training pool). At each size (examples per class) and seed,
every method is given the same training sample (``shots`` with that seed):

* ``zero-shot``: strategy ``prompt``: the instruction names the labels, the model's score
  of each label's first answer token decides; nothing trained;
* ``k-shot``: ``prompt`` with ``--examples`` worked examples per class from the sample;
* ``lora``: LoRA (rank 8 on the attention query and value projections) with the
  label-words head: trained to write the labels, starting from zero-shot;
* ``lora-new-head``: the same adapters with a new linear head on the last token's state;
* ``minilm-probe`` and ``minilm-contrastive``: all-MiniLM-L6-v2, frozen with a logistic
  head, and contrastive fine-tuning (the rows of ``benchmarks/fewshot_sst2.py``).

The labels are the words ``negative`` and ``positive`` (SST-2's 0/1 renamed with
``label_names``). Each row keeps every seed's accuracy, the mean with a t interval over
the seeds (``ci95``), the Wilson interval the test split's size alone gives that mean
(``test_ci95``: zero-shot has no seed to vary, so this is its only uncertainty), and the
median time of ``fit`` (test predictions included). ``--summary`` prints the table with
LoRA's paired gain over each other method (by seed) from the stored results, running
nothing.

    .venv/bin/python -m benchmarks.llm_classification [--data sst2 amazon] [--sizes 8 64]
        [--seeds 3] [--methods ...] [--summary]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np

import transferkit
from benchmarks._common import RESULTS, machine_info, write_result
from transferkit.data.load import read_dataset
from transferkit.evaluation.statistics import mean_ci, paired_difference, wilson_interval
from transferkit.runtime import data_root

LLM = "smollm2-135m-instruct"
MINILM = "all-MiniLM-L6-v2"
NAME = "llm_classification"


def methods(examples: int, epochs: int) -> dict[str, tuple[str, str, dict[str, Any]]]:
    lora = {"rank": 8, "alpha": 16, "epochs": epochs, "patience": 2, "batch_size": 8}
    return {
        "zero-shot": (LLM, "prompt", {}),
        "k-shot": (LLM, "prompt", {"examples": examples}),
        "lora": (LLM, "lora", {**lora, "head": "label-words"}),
        "lora-new-head": (LLM, "lora", lora),
        "minilm-probe": (MINILM, "linear-probe", {}),
        "minilm-contrastive": (MINILM, "contrastive", {}),
    }


def in_memory(data: str, test_size: int) -> dict[str, Any]:
    """A data set as data in memory: the training pool, the validation pool (SST-2's
    ``dev.tsv``; none for Amazon: carved from each sample) and a fixed test split of
    ``test_size`` examples, half per class, drawn once with seed 1234 (the same for every
    method and seed: the LLM's prompts cost about 0.1 s each here)."""
    rng = np.random.default_rng(1234)
    if data == "sst2":
        root = data_root() / "sst2"
        train, val, test = (read_dataset(root, split=s) for s in ("train", "dev", "test"))
        renames = {"0": "negative", "1": "positive"}
        pool, val_pool = train, val
    else:
        test = pool = read_dataset(data_root() / "amazon-reviews" / "kitchen")
        renames, val_pool = {}, None
    labels = np.array([renames.get(y, y) for y in test.labels])
    picked = np.concatenate(
        [
            rng.choice(np.flatnonzero(labels == c), test_size // 2, replace=False)
            for c in sorted(set(labels))
        ]
    )
    out: dict[str, Any] = {
        "X_test": [test.inputs[i] for i in picked],
        "y_test": [str(labels[i]) for i in picked],
    }
    keep = np.setdiff1d(np.arange(len(pool)), picked) if pool is test else np.arange(len(pool))
    out["data"] = [pool.inputs[i] for i in keep]
    out["y"] = [renames.get(pool.labels[i], pool.labels[i]) for i in keep]
    if val_pool is not None:
        out["X_val"] = list(val_pool.inputs)
        out["y_val"] = [renames.get(y, y) for y in val_pool.labels]
    return out


def run(
    data: dict[str, Any],
    spec: tuple[str, str, dict[str, Any]],
    size: int,
    seed: int,
    args: argparse.Namespace,
) -> tuple[float, float]:
    model, strategy, options = spec
    given = {k: v for k, v in data.items() if k not in ("data", "y")}
    start = time.perf_counter()
    r = transferkit.fit(
        data["data"],
        data["y"],
        model=model,
        strategy=strategy,
        shots=size,
        seed=seed,
        max_val=args.max_val,
        **given,
        **options,
    )
    return r.accuracy, time.perf_counter() - start


def test_interval(accuracy: float, test_size: int) -> tuple[float, float]:
    """The Wilson interval of an accuracy measured on ``test_size`` test examples."""
    return wilson_interval(round(accuracy * test_size), test_size)


def summary(rows: list[dict[str, Any]], against: str = "lora") -> str:
    """A Markdown table of the stored rows: each method's mean with its interval over seeds
    and the test split's, and ``against``'s paired gain over it (same seeds, same
    samples)."""
    lines = [
        "| data | per class | method | accuracy | over seeds | test split | "
        f"{against} minus it (paired) | s per fit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by = {(r["data"], r["per_class"], r["method"]): r for r in rows}
    for (data, size, method), r in by.items():
        low, high = test_interval(r["mean"], r["test_examples"])
        gain = ""
        base = by.get((data, size, against))
        if base is not None and method != against:
            d = paired_difference(base["accuracy"], r["accuracy"])
            gain = f"{d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"
        lines.append(
            f"| {data} | {size} | {method} | {r['mean']:.3f} | "
            f"{r['ci95'][0]:.3f}-{r['ci95'][1]:.3f} | {low:.3f}-{high:.3f} | {gain} | "
            f"{r['median_seconds']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=["sst2", "amazon"], choices=["sst2", "amazon"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=list(methods(2, 8)))
    parser.add_argument("--examples", type=int, default=2, help="k-shot: examples per class")
    parser.add_argument("--epochs", type=int, default=8, help="LoRA: at most this many")
    parser.add_argument("--max-val", type=int, default=100)
    parser.add_argument("--test-size", type=int, default=400)
    parser.add_argument("--summary", action="store_true", help="print the stored table")
    args = parser.parse_args()
    table = methods(args.examples, args.epochs)
    path = RESULTS / f"{NAME}.json"
    kept = json.loads(path.read_text())["rows"] if path.exists() else []
    if args.summary:
        print(summary(kept))
        return
    rows = []
    for data in args.data:
        given = in_memory(data, args.test_size)
        for size in args.sizes:
            for method in args.methods:
                accs, secs = [], []
                for seed in range(args.seeds):
                    acc, sec = run(given, table[method], size, seed, args)
                    accs.append(acc)
                    secs.append(sec)
                    print(
                        f"{data} {size}/class {method} seed {seed}: {acc:.3f} ({sec:.0f} s)",
                        flush=True,
                    )
                mean, low, high = mean_ci(accs)
                rows.append(
                    {
                        "data": data,
                        "per_class": size,
                        "method": method,
                        "model": table[method][0],
                        "strategy": table[method][1],
                        "options": table[method][2],
                        "accuracy": accs,
                        "mean": mean,
                        "ci95": [low, high],
                        "test_ci95": list(test_interval(mean, args.test_size)),
                        "median_seconds": statistics.median(secs),
                        "test_examples": args.test_size,
                        "max_val": args.max_val,
                    }
                )
                print(
                    f"== {data} {size}/class {method}: {mean:.3f} [{low:.3f}, {high:.3f}]",
                    flush=True,
                )
                done = {(r["data"], r["per_class"], r["method"]) for r in rows}
                merged = [r for r in kept if (r["data"], r["per_class"], r["method"]) not in done]
                write_result(NAME, {"machine": machine_info(), "rows": merged + rows})


if __name__ == "__main__":
    main()
