"""The training loop runs on several processes through ``accelerate launch``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.skipif(
    shutil.which("accelerate") is None
    and not (Path(sys.executable).parent / "accelerate").exists(),
    reason="accelerate's launcher is not installed",
)
def test_fit_on_two_cpu_processes(image_folder, tmp_path):
    launcher = Path(sys.executable).parent / "accelerate"
    out = tmp_path / "model"
    # --multi_gpu selects torchrun; without GPUs the processes form a CPU (gloo) group
    cmd = [
        str(launcher),
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "transferkit.cli.main",
        "fit",
        str(image_folder),
        "-m",
        "tiny-cnn",
        "-s",
        "finetune",
        "--epochs",
        "2",
        "--batch-size",
        "4",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["cost"]["processes"] == 2
    # every validation example is scored once, not once per process
    assert metrics["val"]["n"] == 4
    assert proc.stdout.count("Model saved to") == 1
