"""A generation task with free-form outputs: SmolLM2-135M-Instruct names the subject of a
Wikipedia summary (``wiki-summaries``: the summary is the prompt, its article's title the
response, e.g. "LeBron James"), zero-shot, k-shot and adapted with LoRA
(``fit --task generate``), on the same held-out test split per seed.

Each seed draws its own split (test 20% of the 190 summaries, validation 20% of the rest,
the remaining 122 train); within a seed every method is scored on the same test pairs, so
LoRA's gain over the best prompting is paired by seed. The summary is clipped to its
first ``--max-length`` tokens (the subject is named in its first sentence). Also recorded:
perplexity on general text before and after (forgetting), training and generation speed.

    .venv/bin/python -m benchmarks.llm_generation [--seeds 3] [--epochs 5]
"""

from __future__ import annotations

import argparse
import time

from benchmarks._common import machine_info, write_result
from transferkit.evaluation.statistics import mean_ci, paired_difference
from transferkit.runtime import data_root
from transferkit.workflows.generate import fit_generate

NAME = "llm_generation"
INSTRUCTION = "Name the subject of this Wikipedia article, and nothing else."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--examples", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    table = data_root() / "wiki-summaries" / "summaries.csv"
    runs = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        r = fit_generate(
            table,
            "smollm2-135m-instruct",
            seed=seed,
            text_column="text",
            label_column="title",
            instruction=INSTRUCTION,
            examples=args.examples,
            epochs=args.epochs,
            max_length=args.max_length,
        )
        d = r.to_dict()
        d["seconds"] = time.perf_counter() - start
        d["seed"] = seed
        runs.append(d)
        for name, m in d["methods"].items():
            print(
                f"seed {seed} {name}: exact match {m['exact_match']:.3f}, token F1 "
                f"{m['token_f1']:.3f} ({m['seconds']:.0f} s)",
                flush=True,
            )
        f = d["forgetting"]
        print(
            f"seed {seed}: perplexity {f['perplexity_before']:.1f} -> "
            f"{f['perplexity_after']:.1f}; best epoch {d['history']['best_epoch']}; "
            f"{d['seconds']:.0f} s",
            flush=True,
        )
        write_result(NAME, {"machine": machine_info(), "args": vars(args), "runs": runs})
    summary = {}
    names = list(runs[0]["methods"])
    for metric in ("exact_match", "token_f1"):
        for name in names:
            values = [run["methods"][name][metric] for run in runs]
            summary[f"{name} {metric}"] = mean_ci(values, bounds=(0, 1))
        lora = [run["methods"]["lora"][metric] for run in runs]
        for name in names[:-1]:
            other = [run["methods"][name][metric] for run in runs]
            d = paired_difference(lora, other)
            summary[f"lora minus {name} {metric}"] = (d["mean"], d["low"], d["high"])
    ppl = [
        (r["forgetting"]["perplexity_before"], r["forgetting"]["perplexity_after"]) for r in runs
    ]
    summary["perplexity before"] = mean_ci([b for b, _ in ppl])
    summary["perplexity after"] = mean_ci([a for _, a in ppl])
    for k, (mean, low, high) in summary.items():
        print(f"== {k}: {mean:.3f} [{low:.3f}, {high:.3f}]")
    write_result(
        NAME, {"machine": machine_info(), "args": vars(args), "runs": runs, "summary": summary}
    )


if __name__ == "__main__":
    main()
