"""Does resampling the examples keep LogME's verdict between two close encoders?

all-MiniLM-L6-v2 and paraphrase-MiniLM-L3-v2 (both 384-d) on 400 training reviews of an
Amazon domain (the split of ``benchmarks.transferability_text``). For LogME and 5-NN
accuracy it prints the value on all the examples, then, over 40 resamples of each kind,
how often each encoder wins and the mean difference (L3 - L6): the classic bootstrap
(draws with replacement), and stratified subsamples of 80% and 50% without replacement.
A resampling scheme that judges the recommendation fairly keeps the mean difference near
the full-data one. This run is why ``rank`` subsamples (``transferkit/ranking/bootstrap.py``).

    .venv/bin/python -m benchmarks.rank_resampling [books kitchen]
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.transferability_text import review_split
from transferkit import create_backbone
from transferkit.data import read_dataset
from transferkit.features import embed
from transferkit.ranking.bootstrap import stratified_resample
from transferkit.runtime import data_root
from transferkit.scores import compute_score

ENCODERS = ("all-MiniLM-L6-v2", "paraphrase-MiniLM-L3-v2")
RESAMPLES = 40


def with_replacement(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The classic stratified bootstrap: each class's size, drawn with replacement."""
    return np.concatenate(
        [rng.choice(np.flatnonzero(codes == c), size=int((codes == c).sum())) for c in set(codes)]
    )


def compare(feats: dict[str, np.ndarray], codes: np.ndarray, score: str) -> None:
    full = {n: compute_score(score, features=f, labels=codes) for n, f in feats.items()}
    gap = full[ENCODERS[1]] - full[ENCODERS[0]]
    print(f"  {score}: all examples { ({n: round(v, 4) for n, v in full.items()}) }")
    schemes: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
        "bootstrap": lambda r: with_replacement(codes, r),
        "80% subsample": lambda r: stratified_resample(codes, r, 0.8),
        "50% subsample": lambda r: stratified_resample(codes, r, 0.5),
    }
    for label, draw in schemes.items():
        rng, wins, diffs = np.random.default_rng(0), dict.fromkeys(feats, 0), []
        for _ in range(RESAMPLES):
            idx = draw(rng)
            v = {
                n: compute_score(score, features=f[idx], labels=codes[idx])
                for n, f in feats.items()
            }
            wins[max(v, key=v.__getitem__)] += 1
            diffs.append(v[ENCODERS[1]] - v[ENCODERS[0]])
        print(
            f"    {label:14s} wins {wins}  mean difference (L3 - L6) {np.mean(diffs):+.4f} "
            f"(all examples {gap:+.4f})",
            flush=True,
        )


def main() -> None:
    domains = sys.argv[1:] or ["books", "kitchen"]
    with tempfile.TemporaryDirectory() as tmp:
        for domain in domains:
            split = review_split(data_root() / "amazon-reviews" / domain, Path(tmp) / domain, 400)
            ds = read_dataset(split / "train.csv")
            classes = sorted(set(ds.labels or []))
            codes = np.array([classes.index(label) for label in ds.labels or []])
            feats = {}
            for name in ENCODERS:
                features, _ = embed(create_backbone(name), ds.inputs)
                feats[name] = np.asarray(features, dtype=np.float64)
            print(f"{domain} ({len(codes)} reviews)")
            for score in ("logme", "knn"):
                compare(feats, codes, score)


if __name__ == "__main__":
    main()
