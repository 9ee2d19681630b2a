"""How soon does each command say something? Seconds from starting ``transferkit CMD`` on
ants/bees to its first byte of output (either stream), medians of ``--runs``; each run is
stopped once it has spoken. Its output streams are a pseudo-terminal, as for a user at a
terminal (``--pipes``: plain pipes, as in a log, where the command prints nothing early).

    .venv/bin/python -m benchmarks.first_output [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import pty
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import machine_info, write_result
from transferkit.runtime import data_root


def commands(data: Path, out: Path) -> dict[str, list[str]]:
    ants = str(data / "hymenoptera")
    return {
        "fit": ["fit", ants, "-s", "linear-probe", "--test-split", "val", "--out", str(out)],
        "compare": ["compare", ants, "--sizes", "4", "--seeds", "2", "--test-split", "val"],
        "explore": ["explore", ants],
        "rank": ["rank", ants, "--models", "mobilenet_v2,efficientnet_lite0"],
    }


def first_output(argv: list[str], terminal: bool) -> float:
    exe = shutil.which("transferkit", path=str(Path(sys.executable).parent)) or "transferkit"
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "TRANSFERKIT_CACHE": cache}
        reader, writer = pty.openpty() if terminal else os.pipe()
        start = time.perf_counter()
        proc = subprocess.Popen([exe, *argv], stdout=writer, stderr=writer, env=env)
        os.close(writer)
        sel = selectors.DefaultSelector()
        sel.register(reader, selectors.EVENT_READ)
        sel.select(timeout=120)
        seconds = time.perf_counter() - start
        proc.kill()
        proc.wait()
        os.close(reader)
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pipes", action="store_true")
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, argv in commands(data_root(), Path(tmp) / "model").items():
            times = [first_output(argv, not args.pipes) for _ in range(args.runs)]
            rows[name] = {"seconds": times, "median": statistics.median(times)}
            print(
                f"{name:8s} first output after {rows[name]['median']:.2f} s (median of {args.runs})"
            )
    name = "first_output_pipes" if args.pipes else "first_output"
    write_result(name, {"rows": rows, "terminal": not args.pipes, "machine": machine_info()})


if __name__ == "__main__":
    main()
