"""``kill -9`` at random moments of a real ``transferkit fit``, then the same command again:
does it leave nothing behind, resume, and end with the predictions of a run that was never
interrupted?

One uninterrupted run writes the reference. Then ``--kills`` times in a row, a run of the
same command (resuming whatever the last one left) is killed with SIGKILL at a random
moment drawn by ``--seed`` between start-up and the reference run's duration; a last run
finishes. The script checks that no hidden leftover stays beside the output, that the
final ``predictions.csv`` is byte for byte the reference's, and prints where each kill
landed (the epochs saved by then).

    .venv/bin/python -m benchmarks.resume_kills [--kills 10] [--strategy finetune]
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import machine_info, write_result
from transferkit.runtime import data_root


def command(data: Path, out: Path, strategy: str, epochs: int) -> list[str]:
    fit = [sys.executable, "-m", "transferkit.cli.main", "fit", str(data), "-m", "mobilenet_v2"]
    schedule = ["-s", strategy, "--epochs", str(epochs), "--patience", str(epochs)]
    return [*fit, *schedule, "--test-split", "val", "--max-train", "80", "--out", str(out)]


def saved_epochs(out: Path) -> int:
    states = sorted((out.parent / f".{out.name}.resume").glob("stage-*/state.json"))
    try:
        return sum(int(json.loads(p.read_text())["epoch"]) for p in states)
    except (OSError, ValueError, KeyError):
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--strategy", default="finetune")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    data = data_root() / "hymenoptera"
    with tempfile.TemporaryDirectory() as tmp:
        ref, out = Path(tmp) / "reference", Path(tmp) / "killed"
        start = time.perf_counter()
        subprocess.run(
            command(data, ref, args.strategy, args.epochs), check=True, capture_output=True
        )
        whole = time.perf_counter() - start
        kills = []
        for _ in range(args.kills):
            at = rng.uniform(1.0, whole)
            proc = subprocess.Popen(  # --overwrite: a run that finished is replaced
                [*command(data, out, args.strategy, args.epochs), "--overwrite"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(at)
            finished = proc.poll() is not None
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills.append(
                {
                    "after_s": round(at, 2),
                    "epochs_saved": saved_epochs(out),
                    "had_finished": finished,
                }
            )
            print(
                f"killed after {at:5.1f} s: {kills[-1]['epochs_saved']} epochs saved"
                + (" (it had finished)" if finished else ""),
                flush=True,
            )
        last = subprocess.run(
            [*command(data, out, args.strategy, args.epochs), "--overwrite"],
            capture_output=True,
            text=True,
        )
        same = (out / "predictions.csv").read_bytes() == (ref / "predictions.csv").read_bytes()
        left = sorted(p.name for p in Path(tmp).iterdir() if p.name.startswith("."))
    result = {
        "strategy": args.strategy,
        "epochs": args.epochs,
        "reference_seconds": whole,
        "kills": kills,
        "final_exit": last.returncode,
        "resumed": "Resuming" in last.stderr,
        "predictions_identical": same,
        "leftovers": left,
        "machine": machine_info(),
    }
    write_result("resume_kills", result)
    print(
        f"final run exit {last.returncode}, resumed: {result['resumed']}, predictions identical "
        f"to the uninterrupted run's: {same}, leftovers: {left or 'none'}"
    )


if __name__ == "__main__":
    main()
