"""The FSDD study: spoken digits and their speakers, through pretrained speech encoders.

Free Spoken Digit Dataset (``fsdd/recordings/<digit>_<speaker>_<index>.wav``, 3,000
recordings, 6 speakers). The manifests this writes (paths and labels, never the audio)
go to a temporary folder. Every row is measured in the same run as its baselines:

* (a) digits on the usual split (index 0-4 of every digit and speaker is test);
* (b) digits with each speaker held out in turn (``--group-column speaker --test-group``);
* (c) speaker identity (6 classes) on the usual split;
* (d) ``adapt`` from 5 labelled speakers to the 6th, unlabelled, against source-only;
* ``verdict``: ``compare`` with a speaker held out, each encoder against MFCC statistics;
* ``verdict-c``: ``compare`` on speaker identity against MFCC and ``audio-cnn`` scratch;
* ``speed``: a linear probe on all 3,000 recordings against one pass of the encoder.

Baselines: MFCC statistics and logistic regression written by hand (no transferkit), and
``audio-cnn`` trained from scratch by transferkit.

    .venv/bin/python -m benchmarks.fsdd_study [--parts a b c d speed] [--finetune]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import transferkit
from benchmarks._common import RESULTS, machine_info, write_result
from transferkit.features import FeatureCache
from transferkit.runtime import data_root

SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
PROBES = ("whisper-tiny.en", "whisper-tiny.en-layers", "resemblyzer", "mfcc")


def recordings(root: Path) -> list[tuple[str, str, str, int]]:
    rows = []
    for f in sorted((root / "fsdd" / "recordings").resolve().glob("*.wav")):
        digit, speaker, index = f.stem.split("_")
        rows.append((str(f), digit, speaker, int(index)))
    return rows


def write_manifest(path: Path, rows: list[tuple[str, str, str, int]], label: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "speaker"])
        w.writerows((r[0], r[label], r[2]) for r in rows)
    return path


def manifests(root: Path, tmp: Path) -> dict[str, Any]:
    rows = recordings(root)
    usual = {"train": [r for r in rows if r[3] > 4], "test": [r for r in rows if r[3] <= 4]}
    for split, part in usual.items():
        write_manifest(tmp / "digits" / f"{split}.csv", part)
        write_manifest(tmp / "speakers" / f"{split}.csv", part, label=2)
    out: dict[str, Any] = {
        "a": tmp / "digits",
        "c": tmp / "speakers",
        "all": write_manifest(tmp / "all.csv", rows),
    }
    for s in SPEAKERS:
        write_manifest(tmp / "adapt" / f"without-{s}.csv", [r for r in rows if r[2] != s])
        write_manifest(tmp / "adapt" / f"only-{s}.csv", [r for r in rows if r[2] == s])
    return out


# -- the by-hand baseline: what a user writes with soundfile, numpy and scikit-learn --------
def mfcc_stats(path: str) -> np.ndarray:
    """20 MFCCs and their deltas at 8 kHz (32 ms windows, 10 ms hop), mean and std."""
    import soundfile as sf
    from scipy.fft import dct
    from transformers.audio_utils import mel_filter_bank

    x, rate = sf.read(path, dtype="float32")
    n_fft, hop = 256, 80
    x = np.pad(x, n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop] * np.hanning(n_fft)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    bank = mel_filter_bank(n_fft // 2 + 1, 40, 0.0, rate / 2, rate, "slaney", "slaney")
    mfcc = dct(np.log(power @ bank + 1e-6), type=2, norm="ortho", axis=1)[:, :20]
    delta = np.gradient(mfcc, axis=0)
    return np.concatenate([mfcc.mean(0), mfcc.std(0), delta.mean(0), delta.std(0)])


def mfcc_baseline(train: list, test: list, label: int, cache: dict[str, np.ndarray]) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def feats(rows: list) -> np.ndarray:
        return np.stack([cache.setdefault(r[0], mfcc_stats(r[0])) for r in rows])

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    clf.fit(feats(train), [r[label] for r in train])
    return float(clf.score(feats(test), [r[label] for r in test]))


# -- transferkit rows ----------------------------------------------------------------------
def tk_fit(data: Any, model: str, strategy: str, cache: FeatureCache, **options: Any) -> dict:
    start = time.perf_counter()
    r = transferkit.fit(data, model=model, strategy=strategy, cache=cache, **options)
    row = {
        "accuracy": r.accuracy,
        "held_out": r.held_out,
        "seconds": round(time.perf_counter() - start, 1),
        # what model selection saw: validation (or cross-validation on train)
        "selection": {k: m.accuracy for k, m in r.metrics.splits.items() if k != "test"},
    }
    f = r.metrics.forgetting
    if f is not None and f.speaker_eer_before is not None:
        row["speaker_eer"] = [f.speaker_eer_before, f.speaker_eer_after]
    return row


def methods(
    finetune: bool,
    scratch: bool,
    models: tuple[str, ...] = (),
    scratch_epochs: int | None = None,
    probes: tuple[str, ...] = PROBES,
) -> list[tuple[str, str, dict]]:
    rows = [(m, "linear-probe", {}) for m in probes]
    if finetune:
        rows += [(m, "finetune", {}) for m in models]
    if scratch:
        # the strategy's own budget (30 epochs, patience 8) unless told otherwise
        rows.append(("audio-cnn", "scratch", {"epochs": scratch_epochs} if scratch_epochs else {}))
    return rows


def method_name(model: str, strategy: str, options: dict) -> str:
    epochs = f" ({options['epochs']} epochs)" if "epochs" in options else ""
    return f"{model} {strategy}{epochs}"


def run_usual(part: str, data: Path, label: int, args: Any, ctx: dict) -> list[dict]:
    rows = recordings(args.data)
    train, test = [r for r in rows if r[3] > 4], [r for r in rows if r[3] <= 4]
    out = [{"part": part, "method": "MFCC + logistic regression (by hand)"}]
    out[0]["accuracy"] = mfcc_baseline(train, test, label, ctx["mfcc"])
    for model, strategy, options in methods(
        args.finetune, not args.no_scratch, args.finetune_models, args.scratch_epochs, args.probes
    ):
        row = tk_fit(data, model, strategy, ctx["cache"], test_split="test", **options)
        out.append({"part": part, "method": method_name(model, strategy, options), **row})
    return out


def per_speaker_rows(part: str, found: dict[str, list[float]]) -> list[dict]:
    """One row per method: the mean over the six speakers, their spread, and each."""
    return [
        {
            "part": part,
            "method": k,
            "accuracy": statistics.mean(v),
            "spread": statistics.stdev(v),
            "per_speaker": dict(zip(SPEAKERS, v, strict=True)),
        }
        for k, v in found.items()
    ]


def run_held_out(args: Any, ctx: dict) -> list[dict]:
    rows = recordings(args.data)
    found: dict[str, list[float]] = {}
    for s in SPEAKERS:
        train, test = [r for r in rows if r[2] != s], [r for r in rows if r[2] == s]
        found.setdefault("MFCC + logistic regression (by hand)", []).append(
            mfcc_baseline(train, test, 1, ctx["mfcc"])
        )
        for model, strategy, options in methods(
            args.finetune_b, args.scratch_b, ("whisper-tiny.en",), args.scratch_epochs, args.probes
        ):
            row = tk_fit(
                ctx["all"],
                model,
                strategy,
                ctx["cache"],
                group_column="speaker",
                test_group=s,
                **options,
            )
            found.setdefault(method_name(model, strategy, options), []).append(row["accuracy"])
        print(f"  (b) {s}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in found.items()), flush=True)
    return per_speaker_rows("b", found)


def run_adapt(args: Any, ctx: dict, tmp: Path) -> list[dict]:
    """Each adaptation run also trains source-only on the same data: its baseline."""
    found: dict[str, list[float]] = {}
    for model in ("whisper-tiny.en", "resemblyzer"):
        for s in SPEAKERS:
            source, target = tmp / "adapt" / f"without-{s}.csv", tmp / "adapt" / f"only-{s}.csv"
            for method in args.adapt_methods:
                r = transferkit.adapt(
                    source, target, model, method, target_labels=True, cache=ctx["cache"]
                )
                found.setdefault(f"{model} {method}", []).append(r.target_metrics.accuracy)
                base = r.adaptation.baseline_metrics.accuracy
                found.setdefault(f"{model} source-only ({method}'s run)", []).append(base)
            said = ", ".join(f"{k} {v[-1]:.3f}" for k, v in found.items() if k.startswith(model))
            print(f"  (d) -> {s}: {said}", flush=True)
    return per_speaker_rows("d", found)


def verdict_rows(part: str, method: str, data: Any, model: str, ctx: dict, **kw: Any) -> list:
    """``compare`` of the encoder's probe against a no-transfer baseline (``scratch`` with
    ``scratch_model``), 16 per class and all, 3 seeds: a row per verdict."""
    r = transferkit.compare(
        data, model, ["linear-probe", "scratch"], [16, "all"], seeds=3, cache=ctx["cache"], **kw
    )
    out = []
    for v in r.verdicts:
        means = {c.strategy: round(c.mean, 4) for c in r.cells if c.size == v.size}
        row = {"part": part, "method": method, "size": v.size, "kind": v.kind, "means": means}
        out.append({**row, "sentence": v.sentence})
        print(f"  {part} {method} {v.size}: {v.sentence}", flush=True)
    return out


def run_verdicts(args: Any, ctx: dict) -> list[dict]:
    """``compare`` on digits with a speaker held out: each encoder's probe against MFCC
    statistics as the no-transfer baseline (``--scratch-model mfcc``), 3 seeds."""
    out = []
    for model in ("resemblyzer", "whisper-tiny.en"):
        for s in args.verdict_speakers:
            out += verdict_rows(
                "verdict",
                f"{model} vs mfcc, test {s}",
                ctx["all"],
                model,
                ctx,
                scratch_model="mfcc",
                group_column="speaker",
                test_group=s,
            )
    return out


def run_speaker_verdicts(args: Any, ctx: dict) -> list[dict]:
    """``compare`` on speaker identity, the usual split: the speech encoder and the
    speaker encoder against both no-transfer baselines (MFCC statistics, and
    ``audio-cnn`` from scratch with the epochs of the (c) row), 3 seeds."""
    out = []
    epochs = {"scratch": {"epochs": args.scratch_epochs}} if args.scratch_epochs else None
    for model in ("whisper-tiny.en", "resemblyzer"):
        for baseline in ("mfcc", "audio-cnn"):
            out += verdict_rows(
                "verdict-c",
                f"{model} vs {baseline}, speakers",
                ctx["c"],
                model,
                ctx,
                scratch_model=baseline,
                options=epochs if baseline == "audio-cnn" else None,
            )
    return out


def run_speed(args: Any, ctx: dict) -> list[dict]:
    """The floor: decode, front end and one encoder pass over all 3,000, batch 64; then
    ``fit`` with the cache off (so it embeds them too), alternating, median of 3."""
    import torch

    from transferkit.backbones import create_backbone

    files = [r[0] for r in recordings(args.data)]
    backbone = create_backbone("whisper-tiny.en")

    def floor() -> float:
        start = time.perf_counter()
        with torch.inference_mode():
            for i in range(0, len(files), 64):
                batch = backbone.collate([backbone.prepare(f) for f in files[i : i + 64]])
                backbone.forward_features(batch)
        return time.perf_counter() - start

    def probe() -> float:
        start = time.perf_counter()
        transferkit.fit(ctx["all"], model="whisper-tiny.en", strategy="linear-probe", cache=False)
        return time.perf_counter() - start

    floors, probes = [], []
    for _ in range(args.repeats):
        floors.append(floor())
        probes.append(probe())
        print(f"  speed: floor {floors[-1]:.1f} s, probe {probes[-1]:.1f} s", flush=True)
    ratios = [p / f for p, f in zip(probes, floors, strict=True)]
    return [
        {
            "part": "speed",
            "floor_seconds": floors,
            "probe_seconds": probes,
            "ratio_median": statistics.median(ratios),
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data_root())
    # speed first: it times, so it must run alone; the rest measures accuracy
    parser.add_argument("--parts", nargs="+", default=["speed", "a", "c", "b", "d", "verdict"])
    parser.add_argument("--finetune", action="store_true", help="add fine-tuning rows")
    parser.add_argument("--scratch-b", action="store_true", help="audio-cnn scratch in (b)")
    parser.add_argument("--finetune-b", action="store_true", help="fine-tuning rows in (b)")
    parser.add_argument("--adapt-methods", nargs="+", default=["coral", "mcc"])
    parser.add_argument("--verdict-speakers", nargs="+", default=["theo", "jackson"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, help="feature cache to keep between runs")
    parser.add_argument("--finetune-models", nargs="+", default=["whisper-tiny.en", "resemblyzer"])
    parser.add_argument("--no-scratch", action="store_true", help="no audio-cnn in (a), (c)")
    parser.add_argument("--probes", nargs="*", default=PROBES, help="encoders to probe")
    parser.add_argument("--scratch-epochs", type=int, help="audio-cnn's epochs (default 30)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cache = FeatureCache(args.cache or tmp / "cache")
        ctx = {**manifests(args.data, tmp), "cache": cache, "mfcc": {}}
        for part in args.parts:
            if part in ("a", "c"):
                rows = run_usual(part, ctx[part], 1 if part == "a" else 2, args, ctx)
            elif part == "b":
                rows = run_held_out(args, ctx)
            elif part == "d":
                rows = run_adapt(args, ctx, tmp)
            elif part == "speed":
                rows = run_speed(args, ctx)
            elif part == "verdict-c":
                rows = run_speaker_verdicts(args, ctx)
            else:
                rows = run_verdicts(args, ctx)
            for row in rows:
                print(part, row, flush=True)
            save(part, rows)


def save(part: str, rows: list[dict]) -> None:
    """Each part as it finishes, replacing the rows of that part and method measured
    before (each row says its machine and date): a part, or one method of it, can be
    re-run on its own."""
    path = RESULTS / "fsdd_study.json"
    kept = json.loads(path.read_text())["rows"] if path.exists() else []
    machine = machine_info()
    rows = [{**r, "machine": machine} for r in rows]
    new = {r.get("method") for r in rows}
    merged = [r for r in kept if r["part"] != part or r.get("method") not in new] + rows
    write_result("fsdd_study", {"rows": merged})


if __name__ == "__main__":
    main()
