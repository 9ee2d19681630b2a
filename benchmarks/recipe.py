"""``linear-probe`` against the 30-line script it replaces, on data of real size, alone and
beside a competing CPU-bound process.

The script, as a user would write it: embed train and test once with the frozen backbone
in eval mode (images: batch 4, channels-last; texts: batch 32), then scikit-learn's
``LogisticRegression`` on standardised features with C chosen by 5-fold cross-validation
over 7 values (``GridSearchCV``), and test accuracy. transferkit: ``fit(...,
"linear-probe", out=...)`` end to end with an empty feature cache: reading, embedding,
the head search, judging (calibration, familiarity, baselines), the report and the model
directory; its stages are timed apart (prepare, train = embed train + head search,
assess = embed test + judging, save = report + writing).

Each contender runs in its own process, in turn, on exactly the same files: the data sets
are written once to a temporary folder (PACS-mini's four domains as one 7-class set split
80/20 by seed; SST-2 with 10,000 training sentences sampled by seed and test.tsv; the
Amazon reviews' 4 domains x 2 polarities as 8 classes, split 80/20; the 10,000 MNIST test
digits in their fixed 8,000/2,000 split). Run ``i`` of ``--runs`` draws its splits with seed
``i`` (MNIST's split is fixed), so the accuracy difference is an average over splits
rather than one split's noise, and the time ratio is the median of the runs' paired
ratios. ``--load`` runs a second copy of the script, in a loop, beside every measurement.

    .venv/bin/python -m benchmarks.recipe [--sets pacs7 mnist ...] [--runs 3] [--load]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._common import RESULTS, machine_info, write_result
from transferkit.runtime import data_root

#: row -> (data set, backbone)
SETS = {
    "pacs7": ("pacs7", "mobilenet_v2"),
    "pacs7-lite0": ("pacs7", "efficientnet_lite0"),
    "mnist": ("mnist", "mobilenet_v2"),
    "mnist-lite0": ("mnist", "efficientnet_lite0"),
    "sst2-10k": ("sst2-10k", "all-MiniLM-L6-v2"),
    "amazon8": ("amazon8", "all-MiniLM-L6-v2"),
}

SCRIPT = """
import json, sys, time
start = time.perf_counter()
import numpy as np, torch
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from transferkit.backbones import create_backbone
from transferkit.backbones.preprocessing import load_image
from transferkit.data import read_dataset
root, model = sys.argv[1], sys.argv[2]
train, test = (read_dataset(root, split=s) for s in ("train", "test"))
backbone = create_backbone(model).eval()
image = backbone.modality == "image"
if image:
    backbone.use_channels_last(True)
def embed(inputs, batch=4 if image else 32):
    out = []
    with torch.inference_mode():
        for i in range(0, len(inputs), batch):
            part = inputs[i : i + batch]
            if image:
                images = [p if isinstance(p, Image.Image) else load_image(p) for p in part]
                x = torch.stack([backbone.preprocessing.prepare(im) for im in images])
                x = x.contiguous(memory_format=torch.channels_last)
            else:
                x = backbone.collate([backbone.prepare(t) for t in part])
            out.append(backbone.forward_features(x).numpy())
    return np.concatenate(out)
x_train, x_test = embed(train.inputs), embed(test.inputs)
grid = {"logisticregression__C": np.logspace(-3, 3, 7)}
probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
search = GridSearchCV(probe, grid, cv=5)
search.fit(x_train, train.labels)
accuracy = float((search.predict(x_test) == np.array(test.labels)).mean())
print(json.dumps({"seconds": time.perf_counter() - start, "accuracy": accuracy}))
"""

FIT = """
import json, sys, tempfile, time
start = time.perf_counter()
from pathlib import Path
from transferkit.features import FeatureCache
from transferkit.workflows.assess import assess
from transferkit.workflows.fit import FitResult, save
from transferkit.workflows.prepare import prepare
from transferkit.workflows.fit import train
root, model = sys.argv[1], sys.argv[2]
stages = {}
def mark(name):
    global start
    now = time.perf_counter(); stages[name] = now - start; start = now
with tempfile.TemporaryDirectory() as tmp:
    cache = FeatureCache(Path(tmp) / "cache")
    p = prepare(root, model, "linear-probe", 0, cache=cache); mark("prepare")
    t = train(p); mark("train")
    a = assess(t.model, p, t.outcome, t.seconds); mark("assess")
    r = FitResult(t.model, a.metrics, p.splits, a.predictions, features=a.held_features)
    save(r, Path(tmp) / "model"); mark("save")
print(json.dumps({"seconds": sum(stages.values()), "stages": stages,
                  "accuracy": r.metrics.splits["test"].accuracy}))
"""


def build_sets(root: Path, into: Path, seed: int = 0) -> dict[str, Path]:
    from transferkit.data import read_dataset

    rng = random.Random(seed)
    made = {}
    pacs = into / "pacs7"
    for photo in sorted((root / "pacs-mini").glob("*/*/*")):
        part = "test" if rng.random() < 0.2 else "train"
        link = pacs / part / photo.parent.name / f"{photo.parent.parent.name}-{photo.name}"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(photo.resolve())
    made["pacs7"] = pacs
    made["mnist"] = root / "digits" / "mnist-test"  # its own fixed 80/20 split
    with open(root / "sst2" / "train.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    sst = into / "sst2-10k"
    sst.mkdir()
    _write(sst / "train.csv", [(r["sentence"], r["label"]) for r in rng.sample(rows, 10_000)])
    with open(root / "sst2" / "test.tsv", newline="") as f:
        _write(
            sst / "test.csv",
            [(r["sentence"], r["label"]) for r in csv.DictReader(f, delimiter="\t")],
        )
    reviews = []
    for domain in sorted(p for p in (root / "amazon-reviews").iterdir() if p.is_dir()):
        ds = read_dataset(domain)
        reviews += [(t, f"{domain.name}-{y}") for t, y in zip(ds.inputs, ds.labels, strict=True)]
    rng.shuffle(reviews)
    cut = int(0.8 * len(reviews))
    amazon = into / "amazon8"
    amazon.mkdir()
    _write(amazon / "train.csv", reviews[:cut])
    _write(amazon / "test.csv", reviews[cut:])
    made["amazon8"] = amazon
    made["sst2-10k"] = sst
    return made


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


def run(code: str, data: Path, model: str) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "TRANSFERKIT_CACHE": cache}
        proc = subprocess.run(
            [sys.executable, "-c", code, str(data), model],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--load", action="store_true", help="a competing copy of the script")
    args = parser.parse_args()
    name = "recipe_load" if args.load else "recipe"
    earlier = RESULTS / f"{name}.json"
    # rows not run now keep their earlier figures; each row carries its own machine and date
    rows = json.loads(earlier.read_text())["rows"] if earlier.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        seeds = [build_sets(data_root(), Path(tmp) / str(i), seed=i) for i in range(args.runs)]
        for row in args.sets:
            rows[row] = {**measure(row, seeds, args.load), "machine": machine_info()}
            write_result(name, {"rows": rows, "load": args.load})


def measure(name: str, seeds: list[dict[str, Path]], load: bool) -> dict:
    data, model = SETS[name]
    competitor = None
    if load:
        loop = f"while true; do {sys.executable} -c '{SCRIPT}' {seeds[0][data]} {model}; done"
        competitor = subprocess.Popen(
            ["sh", "-c", loop], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    try:
        script, fit = [], []
        for sets in seeds:
            script.append(run(SCRIPT, sets[data], model))
            fit.append(run(FIT, sets[data], model))
    finally:
        if competitor is not None:
            competitor.kill()
            subprocess.run(["pkill", "-f", "GridSearchCV"], check=False)
    ratios = [f["seconds"] / s["seconds"] for s, f in zip(script, fit, strict=True)]
    gaps = [f["accuracy"] - s["accuracy"] for s, f in zip(script, fit, strict=True)]
    row = {
        "model": model,
        "script": script,
        "fit": fit,
        "ratio_fit_to_script": statistics.median(ratios),
        "accuracy_gap_mean": statistics.fmean(gaps),
    }
    stages = {k: statistics.median(f["stages"][k] for f in fit) for k in fit[0]["stages"]}
    print(
        f"{name:11s} {model:18s} script {statistics.median(s['seconds'] for s in script):6.1f} s "
        f"acc {statistics.fmean(s['accuracy'] for s in script):.3f} | "
        f"fit {statistics.median(f['seconds'] for f in fit):6.1f} s "
        f"acc {statistics.fmean(f['accuracy'] for f in fit):.3f} "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in stages.items())}) | "
        f"fit/script {row['ratio_fit_to_script']:.2f}x (runs: "
        f"{', '.join(f'{r:.2f}' for r in ratios)}), accuracy gap {row['accuracy_gap_mean']:+.4f}",
        flush=True,
    )
    return row


if __name__ == "__main__":
    main()
