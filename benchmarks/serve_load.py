"""``transferkit serve`` under load, on loopback: throughput, p50/p99 latency and errors at
concurrency 1, 8 and 32, with micro-batching and without, then a run with 10% malformed
requests (0 server errors, memory stable).

Two models, trained here first (not timed): MobileNetV2 linear probe on ants/bees (the
requests send its val/ photos, base64 in JSON, one per request) and all-MiniLM-L6-v2
linear probe on 2,000 SST-2 sentences (the requests send test.tsv sentences). Each
setting sends ``--requests`` requests (default 2,000; bounded by ``--max-seconds`` a run)
from as many client threads as the concurrency, each with a kept-alive connection. The
clients share the machine's two cores with the server, as a client on the same host does.
Server memory is its resident set (``VmRSS``) after each run. Results go to
``benchmarks/results/serve_load.json``.

    .venv/bin/python -m benchmarks.serve_load [--requests 2000] [--max-seconds 240]
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import csv
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import transferkit
from benchmarks._common import RESULTS, machine_info, write_result
from transferkit.runtime import data_root

SETTINGS = {
    "batching": ["--max-batch", "32", "--max-wait-ms", "5"],
    "batching, no wait": ["--max-batch", "32", "--max-wait-ms", "0"],
    "no batching": ["--max-batch", "1", "--max-wait-ms", "0"],
}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(model_dir: Path, extra: list[str]) -> tuple[subprocess.Popen, int]:
    port = _port()
    cmd = [sys.executable, "-m", "transferkit.cli.main", "serve", str(model_dir), "--port"]
    proc = subprocess.Popen([*cmd, str(port), *extra], stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def load_run(port: int, bodies: list[bytes], concurrency: int, max_seconds: float) -> dict:
    """Send every body once (until the time bound), ``concurrency`` at a time."""
    lock, cursor, results = threading.Lock(), [0], []
    stop_at = time.perf_counter() + max_seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = cursor[0]
                cursor[0] += 1
            if i >= len(bodies) or time.perf_counter() > stop_at:
                return
            start = time.perf_counter()
            try:
                conn.request("POST", "/predict", bodies[i], {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = -1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            results.append((status, time.perf_counter() - start))

    begin = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(client)
    wall = time.perf_counter() - begin
    latencies = sorted(t for _, t in results)
    codes: dict[str, int] = {}
    for status, _ in results:
        codes[str(status)] = codes.get(str(status), 0) + 1
    return {
        "requests": len(results),
        "seconds": wall,
        "throughput_per_s": len(results) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "status_codes": codes,
        "server_errors": sum(n for c, n in codes.items() if c.startswith("5") or c == "-1"),
    }


def _models(root: Path, work: Path) -> dict[str, tuple[Path, list[bytes], list[bytes]]]:
    """Model directory, good request bodies and malformed ones, per model."""
    photos = sorted((root / "hymenoptera" / "val").rglob("*.jpg"))
    transferkit.fit(
        root / "hymenoptera", "mobilenet_v2", "linear-probe", test_split="val", out=work / "ab"
    )
    images = [json.dumps({"images": [base64.b64encode(p.read_bytes()).decode()]}) for p in photos]
    bad_images = [b'{"images": ["%%%"]}', b'{"images": ["aGVsbG8="]}', b"{not json", b"[]"]
    transferkit.fit(
        root / "sst2",
        "all-MiniLM-L6-v2",
        "linear-probe",
        max_train=2000,
        max_val=500,
        out=work / "sst2",
    )
    with open(root / "sst2" / "test.tsv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    texts = [json.dumps({"texts": [r["sentence"]]}) for r in rows]
    bad_texts = [b'{"texts": ["  "]}', b'{"texts": [3]}', b"{not json", b'{"images": []}']
    return {
        "ants-bees (MobileNetV2 probe, images)": (
            work / "ab",
            [b.encode() for b in images],
            bad_images,
        ),
        "sst2 (MiniLM probe, texts)": (work / "sst2", [t.encode() for t in texts], bad_texts),
    }


def _cycled(bodies: list[bytes], n: int) -> list[bytes]:
    return [bodies[i % len(bodies)] for i in range(n)]


def measure(model_dir: Path, good: list[bytes], bad: list[bytes], args) -> dict:
    out: dict = {}
    for setting, extra in SETTINGS.items():
        if setting not in args.settings:
            continue
        proc, port = start(model_dir, extra)
        runs = {"rss_mb_ready": _rss_mb(proc.pid)}
        for c in (1, 8, 32):
            runs[f"concurrency {c}"] = load_run(
                port, _cycled(good, args.requests), c, args.max_seconds
            )
            runs[f"concurrency {c}"]["rss_mb_after"] = _rss_mb(proc.pid)
            print(setting, c, runs[f"concurrency {c}"], flush=True)
        if setting == "batching":
            rng = random.Random(0)
            mixed = [
                rng.choice(bad) if rng.random() < 0.1 else b for b in _cycled(good, args.requests)
            ]
            run = load_run(port, mixed, 8, args.max_seconds)
            run["malformed_sent"] = sum(1 for b in mixed[: run["requests"]] if b in bad)
            run["rss_mb_after"] = _rss_mb(proc.pid)
            runs["10% malformed, concurrency 8"] = run
            print("malformed", run, flush=True)
        proc.terminate()
        proc.wait(timeout=30)
        out[setting] = runs
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--merge", action="store_true", help="add to the results file")
    args = parser.parse_args()
    result = {"machine": machine_info(), "requests_per_run": args.requests, "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (model_dir, good, bad) in _models(data_root(), Path(tmp)).items():
            result["models"][name] = measure(model_dir, good, bad, args)
    if args.merge:  # the settings run now replace theirs in the earlier results
        earlier = json.loads((RESULTS / "serve_load.json").read_text())
        for name, row in result["models"].items():
            earlier["models"].setdefault(name, {}).update(row)
            for setting in row:
                earlier["models"][name][setting]["machine"] = result["machine"]
        result = earlier
    print(write_result("serve_load", result))


if __name__ == "__main__":
    main()
