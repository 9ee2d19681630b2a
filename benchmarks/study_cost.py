"""What a study costs before and after it stopped judging every inner fit: ``compare`` on
ants/bees with MobileNetV2, sizes 4 and 16 per class, 2 seeds (linear-probe, finetune,
scratch: 12 fits), run by this tree and by an older commit of it, in turn, each in a fresh
process with an empty feature cache (a user's first run).

Before 8e6a81a every inner fit of ``compare`` ran the whole of ``fit``'s judging
(calibration, familiarity, forgetting, the linear-probe baseline) and kept none of it;
the older commit is checked out in a temporary git worktree.

    .venv/bin/python -m benchmarks.study_cost [--before fcbfbcd] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import machine_info, write_result
from transferkit.runtime import data_root

REPO = Path(__file__).resolve().parents[1]
STUDY = """
import sys, transferkit
print(transferkit.__file__)
transferkit.compare(sys.argv[1], "mobilenet_v2", sizes=[4, 16], seeds=2, test_split="val")
"""


def timed(src: Path, data: Path) -> float:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": str(src), "TRANSFERKIT_CACHE": cache}
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", STUDY, str(data)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        assert proc.stdout.startswith(str(src)), proc.stdout  # the tree asked for ran
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="fcbfbcd")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=data_root() / "hymenoptera")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "before"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), args.before],
            check=True,
            capture_output=True,
        )
        try:
            before, after = [], []
            for run in range(args.runs):  # in turn, so drift in the machine's speed is shared
                before.append(timed(old / "src", args.data))
                after.append(timed(REPO / "src", args.data))
                print(f"run {run + 1}: before {before[-1]:.1f} s, after {after[-1]:.1f} s")
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], check=True
            )
    ratios = [a / b for a, b in zip(after, before, strict=True)]
    result = {
        "before_commit": args.before,
        "before_seconds": before,
        "after_seconds": after,
        "median_before": statistics.median(before),
        "median_after": statistics.median(after),
        "median_ratio_after_over_before": statistics.median(ratios),
        "machine": machine_info(),
    }
    print(
        f"compare --sizes 4,16 --seeds 2 on ants/bees: before {result['median_before']:.1f} s, "
        f"after {result['median_after']:.1f} s (median of {args.runs}; after/before "
        f"{result['median_ratio_after_over_before']:.2f}x, paired)"
    )
    write_result("study_cost", result)


if __name__ == "__main__":
    main()
