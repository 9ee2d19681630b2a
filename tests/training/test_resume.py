"""A fit killed with SIGKILL resumes from its last finished epoch when the same command
runs again, and ends with the predictions of a run that was never interrupted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import transferkit
from transferkit.models import claim
from transferkit.progress import Progress
from transferkit.training import checkpoint

CLI = [sys.executable, "-m", "transferkit.cli.main"]
EPOCHS = 8


def _command(data: Path, out: Path) -> list[str]:
    fit = ["fit", str(data), "-m", "tiny-cnn", "-s", "finetune", "--batch-size", "4"]
    return [*CLI, *fit, "--epochs", str(EPOCHS), "--patience", str(EPOCHS), "--out", str(out)]


def _saved_epoch(out: Path) -> int:
    state = claim.resume_folder(out) / "stage-0" / "state.json"
    try:
        return int(json.loads(state.read_text())["epoch"])
    except (OSError, ValueError, KeyError):
        return 0


def _kill_after(command: list[str], out: Path, epoch: int) -> None:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _saved_epoch(out) < epoch and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _saved_epoch(out) >= epoch and not (out / "config.json").exists()


def test_a_killed_fit_resumes_and_ends_as_if_never_interrupted(image_splits, tmp_path):
    whole = subprocess.run(_command(image_splits, tmp_path / "whole"), capture_output=True)
    assert whole.returncode == 0, whole.stderr
    out = tmp_path / "killed"
    _kill_after(_command(image_splits, out), out, 2)
    _kill_after(_command(image_splits, out), out, 5)  # the resumed run, killed again
    last = subprocess.run(_command(image_splits, out), capture_output=True, text=True)
    assert last.returncode == 0, last.stderr
    assert "Resuming an interrupted run" in last.stderr
    expected = (tmp_path / "whole" / "predictions.csv").read_bytes()
    assert (out / "predictions.csv").read_bytes() == expected
    metrics = [json.loads((d / "metrics.json").read_text()) for d in (tmp_path / "whole", out)]
    held = [k for k in ("val", "test") if metrics[0].get(k)]
    assert held and all(metrics[0][k] == metrics[1][k] for k in held)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("resume", [False, True])
def test_checkpoints_of_another_command_or_no_resume_start_over(image_folder, tmp_path, resume):
    out = tmp_path / "m"
    folder = claim.resume_folder(out)
    (folder / "stage-0").mkdir(parents=True)
    (folder / "stage-0" / "state.json").write_text('{"epoch": 1, "done": false}')
    (folder / checkpoint.RUN_FILE).write_text('{"fingerprint": "of another command"}')
    notes = []

    class Notes(Progress):
        def note(self, message):
            notes.append(message)

    transferkit.fit(
        image_folder, "tiny-cnn", "finetune", out=out, epochs=1, resume=resume, progress=Notes()
    )
    assert any("Started over" in n for n in notes) and not folder.exists()
