"""Do the transferability scores rank text encoders by their linear-probe accuracy?

Three encoders: all-MiniLM-L6-v2, paraphrase-MiniLM-L3-v2 (ONNX, feature extraction only)
and a deliberately weak one, all-MiniLM-L6-v2's architecture and tokenizer with random
weights (seed 0, passed as a weights file, so ``rank`` and ``fit`` load the same
network). Five tasks: SST-2 (``--sst2-train`` sentences sampled from train.tsv, tested on
test.tsv) and the four Amazon review domains (books, dvd, electronics, kitchen), each
split with the seed into ``--reviews-train`` training and as many test reviews, written
as temporary CSV files. Each task is ranked from a cold feature cache, then every encoder
is trained with ``linear-probe`` (cold cache) and tested; Kendall's tau between each score
and the test accuracy, and the times, are printed. Results go to
``benchmarks/results/transferability_text.json``.

    nice -n 19 .venv/bin/python -m benchmarks.transferability_text
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from benchmarks.transferability import SEED, Model, Task, run
from transferkit.data import read_dataset
from transferkit.data.splits import stratified_sample
from transferkit.runtime import data_root

DOMAINS = ("books", "dvd", "electronics", "kitchen")


def random_minilm_weights(path: Path) -> Path:
    """all-MiniLM-L6-v2's architecture with random (seeded) weights, as a safetensors file
    that ``create_backbone(..., weights=path)`` and ``fit(..., weights=path)`` load."""
    from safetensors.torch import save_file
    from transformers import AutoConfig, AutoModel

    from transferkit.backbones.huggingface import _minilm_folder

    with torch.random.fork_rng():
        torch.manual_seed(SEED)
        model = AutoModel.from_config(AutoConfig.from_pretrained(_minilm_folder()))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


def review_split(domain: Path, out: Path, per_split: int) -> Path:
    """train.csv and test.csv of ``per_split`` reviews each, stratified, seeded."""
    ds = read_dataset(domain)
    picked = stratified_sample(ds.labels or [], 2 * per_split, SEED)
    rng = np.random.default_rng(SEED)
    order = rng.permutation(picked)
    out.mkdir(parents=True, exist_ok=True)
    for name, idx in (("train", order[:per_split]), ("test", order[per_split:])):
        with open(out / f"{name}.csv", "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "label"])
            writer.writerows([ds.inputs[i], (ds.labels or [])[i]] for i in idx)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root())
    parser.add_argument("--sst2-train", type=int, default=1000)
    parser.add_argument("--reviews-train", type=int, default=400)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        models = {
            "all-MiniLM-L6-v2": Model("all-MiniLM-L6-v2"),
            "paraphrase-MiniLM-L3-v2": Model("paraphrase-MiniLM-L3-v2"),
            "random MiniLM-L6": Model(
                "all-MiniLM-L6-v2", random_minilm_weights(Path(tmp) / "random.safetensors")
            ),
        }
        tasks = [Task("sst2", args.data / "sst2", {"max_train": args.sst2_train, "max_val": 200})]
        tasks += [
            Task(
                d, review_split(args.data / "amazon-reviews" / d, Path(tmp) / d, args.reviews_train)
            )
            for d in DOMAINS
        ]
        run(
            tasks,
            models,
            {"linear-probe": {}},
            "transferability_text",
            {"sst2_train": args.sst2_train, "reviews_train": args.reviews_train},
        )


if __name__ == "__main__":
    main()
