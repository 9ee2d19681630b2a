"""Do the transferability scores pick the backbone that transfers best, and what does
ranking cost against training every candidate?

For the four ImageNet backbones (MobileNetV2, EfficientNet-Lite0/1/2) on four image tasks
(ants/bees, PACS-mini photo with 7 classes, MNIST and USPS digits), one process:

* ranks them with ``transferkit.rank`` (every score, bootstrap, a cold feature cache);
* trains each with ``linear-probe`` and with ``finetune`` (the library's default schedule,
  up to 10 epochs with early stopping on a validation split carved from the training
  images, or ``--epochs N`` without early stopping; a cold cache each), and measures
  held-out test accuracy;
* prints every score beside the actual accuracies, Kendall's tau between each score and
  each strategy's accuracy over the four backbones, and the time of ranking against the
  time of training all candidates (target: ranking <= 10% of fine-tuning them all).

Fine-tuning four networks on a 2-core CPU is what the ranking is meant to spare, and it is
slow (about one training image per second for EfficientNet-Lite2 while another job shares
the cores), so every task is sampled with a fixed seed to ``SIZES`` (training and test
images per class): ants/bees from train/ and val/, PACS photo split into disjoint train
and test images (both linked, not copied, into a temporary folder), and MNIST / USPS
sampled from their train and test splits (written losslessly as PNG files). The test
images are never seen by ranking or training. Results go to
``benchmarks/results/transferability.json``.

    nice -n 19 .venv/bin/python -m benchmarks.transferability [--epochs 3] [--tasks mnist usps]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import kendalltau

import transferkit
from benchmarks._common import machine_info, write_result
from transferkit.data import read_dataset
from transferkit.data.splits import per_class_sample
from transferkit.features import FeatureCache
from transferkit.ranking.result import RankResult
from transferkit.runtime import data_root

SEED = 0
VISION = ["mobilenet_v2", "efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"]


@dataclass
class Task:
    """A data set to rank on and train on: ``data`` has train and test splits, and
    ``options`` are data options for both (e.g. ``max_train``)."""

    name: str
    data: Path
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Model:
    """A candidate: a backbone name and, optionally, a weights file to load instead."""

    name: str
    weights: Path | None = None

    def backbone(self) -> Any:
        if self.weights is None:
            return self.name
        return transferkit.create_backbone(self.name, weights=self.weights)


@dataclass
class Actual:
    accuracy: float
    train_seconds: float
    seconds: float


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def fit_accuracy(task: Task, model: Model, strategy: str, **options: Any) -> Actual:
    """Held-out test accuracy of one training run, from a cold feature cache."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = transferkit.fit(
            task.data,
            model.name,
            strategy,
            weights=model.weights,
            seed=SEED,
            cache=FeatureCache(Path(tmp) / "cache"),
            **task.options,
            **options,
        )
        accuracy = result.metrics.splits["test"].accuracy
        seconds = time.perf_counter() - start
    return Actual(float(accuracy), float(result.metrics.cost.train_seconds), seconds)


def rank_task(task: Task, models: dict[str, Model]) -> RankResult:
    """Rank from a cold feature cache, so its time includes embedding every example."""
    backbones = {name: m.backbone() for name, m in models.items()}
    with tempfile.TemporaryDirectory() as tmp:
        return transferkit.rank(
            task.data, backbones, seed=SEED, cache=FeatureCache(Path(tmp) / "cache"), **task.options
        )


def taus(result: RankResult, accuracy: dict[str, float]) -> dict[str, float | None]:
    """Kendall's tau-b between each score and the actual accuracy over the backbones."""
    out: dict[str, float | None] = {}
    for score in result.scores:
        pairs = [(result.value(n, score), a) for n, a in accuracy.items()]
        pairs = [(v, a) for v, a in pairs if v is not None]
        tau = kendalltau(*zip(*pairs, strict=True)).statistic if len(pairs) >= 2 else np.nan
        out[score] = None if np.isnan(tau) else float(tau)
    return out


def fmt(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def print_task(result: RankResult, actual: dict[str, dict[str, Actual]], strategies: Sequence[str]):
    """Scores and actual accuracies per backbone, then tau per score and strategy."""
    names = [c.name for c in result.candidates]
    head = ["backbone", *result.scores, *(f"acc:{s}" for s in strategies)]
    rows = [
        [n, *(fmt(result.value(n, s)) for s in result.scores)]
        + [fmt(actual[s][n].accuracy) for s in strategies]
        for n in names
    ]
    for s in strategies:
        t = taus(result, {n: actual[s][n].accuracy for n in names})
        rows.append(
            [f"tau vs {s}", *(fmt(t[x], "+.2f") for x in result.scores), *[""] * len(strategies)]
        )
    print_rows(head, rows)
    print(result.recommendation.text)
    print(result.agreement.text)


def print_rows(head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print(
            "  ".join(
                str(c).rjust(w) if i else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )


def run(
    tasks: Sequence[Task],
    models: dict[str, Model],
    strategies: dict[str, dict[str, Any]],
    name: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """Rank and train on every task; print and return everything measured."""
    record: dict[str, Any] = {"tasks": {}, "machine": machine_info(), **extra}
    for task in tasks:
        log(f"{task.name}: ranking")
        result = rank_task(task, models)
        actual: dict[str, dict[str, Actual]] = {s: {} for s in strategies}
        for c in result.candidates:
            for strategy, options in strategies.items():
                log(f"{task.name}: {strategy} {c.name}")
                actual[strategy][c.name] = fit_accuracy(task, models[c.name], strategy, **options)
        print(f"\n== {task.name} ({result.num_examples} training examples) ==")
        print_task(result, actual, list(strategies))
        record["tasks"][task.name] = task_record(result, actual)
        write_result(name, record)  # after every task, so a stopped run keeps what it did
    summarise(record, list(strategies))
    write_result(name, record)
    return record


def task_record(result: RankResult, actual: dict[str, dict[str, Actual]]) -> dict[str, Any]:
    names = [c.name for c in result.candidates]
    return {
        "rank": result.to_dict(),
        "actual": {s: {n: vars(a) for n, a in per.items()} for s, per in actual.items()},
        "tau": {s: taus(result, {n: per[n].accuracy for n in names}) for s, per in actual.items()},
        "rank_seconds": result.seconds,
        "train_seconds": {
            s: sum(a.train_seconds for a in per.values()) for s, per in actual.items()
        },
        "fit_seconds": {s: sum(a.seconds for a in per.values()) for s, per in actual.items()},
    }


def summarise(record: dict[str, Any], strategies: list[str]) -> None:
    tasks = record["tasks"]
    scores = next(iter(tasks.values()))["rank"]["scores"]
    print("\n== Kendall's tau between each score and the actual accuracy ==")
    head = ["strategy / score", *tasks, "mean"]
    rows = []
    for s in strategies:
        for score in scores:
            values = [t["tau"][s][score] for t in tasks.values()]
            have = [v for v in values if v is not None]
            rows.append(
                [
                    f"{s}: {score}",
                    *(fmt(v, "+.2f") for v in values),
                    fmt(statistics.mean(have) if have else None, "+.2f"),
                ]
            )
    print_rows(head, rows)
    record["mean_tau"] = {
        s: {score: _mean([t["tau"][s][score] for t in tasks.values()]) for score in scores}
        for s in strategies
    }
    print("\n== Time: ranking against training every candidate (training loops only) ==")
    head = ["task", "rank s", *(f"{s} s" for s in strategies), *(f"rank/{s}" for s in strategies)]
    rows = []
    for name, t in tasks.items():
        rows.append(_time_row(name, t["rank_seconds"], t["train_seconds"], strategies))
    total_rank = sum(t["rank_seconds"] for t in tasks.values())
    totals = {s: sum(t["train_seconds"][s] for t in tasks.values()) for s in strategies}
    rows.append(_time_row("all", total_rank, totals, strategies))
    print_rows(head, rows)
    record["rank_seconds"] = total_rank
    record["train_seconds"] = totals


def _time_row(name: str, rank: float, train: dict[str, float], strategies: list[str]) -> list[str]:
    return [
        name,
        f"{rank:.0f}",
        *(f"{train[s]:.0f}" for s in strategies),
        *(f"{rank / train[s]:.1%}" for s in strategies),
    ]


def _mean(values: list[float | None]) -> float | None:
    have = [v for v in values if v is not None]
    return statistics.mean(have) if have else None


def linked_split(sources: dict[str, Path], out: Path, per_class: dict[str, int]) -> Path:
    """``out/<split>/<class>/`` holding ``per_class[split]`` images of every class, drawn
    with the seed from the class folders of ``sources[split]`` and linked, not copied. When
    two splits draw from one folder they get disjoint images."""
    rng = np.random.default_rng(SEED)
    taken: set[Path] = set()
    for split, root in sources.items():
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            files = [f for f in sorted(folder.iterdir()) if f not in taken]
            chosen = [files[i] for i in rng.permutation(len(files))[: per_class[split]]]
            taken.update(chosen)
            (out / split / folder.name).mkdir(parents=True, exist_ok=True)
            for f in chosen:
                (out / split / folder.name / f.name).symlink_to(f)
    return out


def written_split(source: Path, out: Path, per_class: dict[str, int]) -> Path:
    """``out/<split>/<class>/<i>.png``: ``per_class[split]`` images per class drawn with the
    seed from that split of an in-memory data set (the digits), written losslessly so the
    sample has a train and a test split like the image folders."""
    for split, n in per_class.items():
        ds = read_dataset(source, split=split)
        sample = ds.subset(per_class_sample(ds.labels or [], n, SEED))
        for i, (image, label) in enumerate(zip(sample.inputs, sample.labels or [], strict=True)):
            (out / split / label).mkdir(parents=True, exist_ok=True)
            image.save(out / split / label / f"{i:05d}.png")
    return out


def vision_tasks(root: Path, tmp: Path, sizes: dict[str, tuple[int, int]]) -> list[Task]:
    """The four tasks, sampled to ``sizes[task] = (train, test)`` examples per class."""
    ants = root / "hymenoptera"
    photo = root / "pacs-mini" / "photo"
    return [
        Task(
            "hymenoptera",
            linked_split(
                {"train": ants / "train", "test": ants / "val"},
                tmp / "hymenoptera",
                _split_sizes(sizes["hymenoptera"]),
            ),
        ),
        Task(
            "pacs-photo",
            linked_split(
                {"train": photo, "test": photo},
                tmp / "pacs-photo",
                _split_sizes(sizes["pacs-photo"]),
            ),
        ),
        Task(
            "mnist",
            written_split(
                root / "digits" / "mnist-test", tmp / "mnist", _split_sizes(sizes["mnist"])
            ),
        ),
        Task(
            "usps",
            written_split(root / "digits" / "usps", tmp / "usps", _split_sizes(sizes["usps"])),
        ),
    ]


def _split_sizes(size: tuple[int, int]) -> dict[str, int]:
    return {"train": size[0], "test": size[1]}


SIZES = {  # (train, test) examples per class
    "hymenoptera": (40, 30),
    "pacs-photo": (12, 10),
    "mnist": (10, 10),
    "usps": (10, 10),
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root())
    parser.add_argument(
        "--epochs", type=int, default=None, help="fine-tuning epochs (default: the library's)"
    )
    parser.add_argument("--tasks", nargs="+", choices=list(SIZES), default=list(SIZES))
    args = parser.parse_args(argv)
    finetune = {} if args.epochs is None else {"epochs": args.epochs, "patience": None}
    print(f"finetune: {finetune or 'library defaults'}; linear-probe: library defaults")
    print(f"(train, test) examples per class: {SIZES}")
    with tempfile.TemporaryDirectory() as tmp:
        tasks = [t for t in vision_tasks(args.data, Path(tmp), SIZES) if t.name in args.tasks]
        run(
            tasks,
            {name: Model(name) for name in VISION},
            {"linear-probe": {}, "finetune": finetune},
            "transferability",
            {"finetune_options": finetune, "per_class_train_test": SIZES},
        )


if __name__ == "__main__":
    main()
