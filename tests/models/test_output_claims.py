"""Writes that cannot lose data: one run per output directory, --overwrite only of what
transferkit wrote, leftovers of killed runs tidied, unwritable outputs found before work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import transferkit
from transferkit.errors import ModelDirError
from transferkit.models import claim
from transferkit.progress import Progress

CLI = [sys.executable, "-m", "transferkit.cli.main"]
#: a fit slow enough to be caught in the middle (30 epochs of tiny-cnn, about 10 s)
SLOW = ["fit", "-m", "tiny-cnn", "-s", "finetune", "--epochs", "30", "--batch-size", "4"]
SLOW += ["--patience", "30"]


def _wait_for_claim(out, seconds=60):
    """Until a run started in the background has claimed ``out``."""
    deadline = time.monotonic() + seconds
    while not claim.lock_file(out).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def _fit(data, out, **kw):
    return transferkit.fit(data, "tiny-cnn", "linear-probe", out=out, **kw)


def test_a_second_run_on_the_same_out_fails_at_once(image_folder, tmp_path):
    out = tmp_path / "m"
    first = subprocess.Popen(
        [*CLI, *SLOW, str(image_folder), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_claim(out)
        start = time.monotonic()
        second = subprocess.run(
            [*CLI, "fit", str(image_folder), "-m", "tiny-cnn", "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        waited = time.monotonic() - start
        assert first.poll() is None, "the first run ended before the second started"
        assert second.returncode == 2 and "Another transferkit run is writing" in second.stderr
        assert "Traceback" not in second.stderr and "Model saved" not in second.stdout
        stdout, _ = first.communicate(timeout=600)
    finally:
        first.kill()
    assert first.returncode == 0 and "Model saved" in stdout
    assert waited < 30 and (out / "config.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_overwrite_refuses_a_folder_transferkit_did_not_write(image_folder, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(ModelDirError, match="was not written by transferkit"):
        _fit(image_folder, out, overwrite=True)
    assert (out / "precious.txt").read_text() == "keep me"


def test_overwrite_replaces_a_model_directory(image_folder, tmp_path):
    out = _fit(image_folder, tmp_path / "m").out
    (out / "note.txt").write_text("from the first run")
    _fit(image_folder, out, overwrite=True, seed=1)
    assert not (out / "note.txt").exists() and (out / "config.json").exists()


def test_leftovers_of_a_killed_run_are_tidied_and_said(image_folder, tmp_path):
    out = tmp_path / "m"
    partial = tmp_path / ".m.partial-0badc0de"
    partial.mkdir()
    (partial / "model.safetensors").write_bytes(b"half")
    notes = []

    class Notes(Progress):
        def note(self, message):
            notes.append(message)

    _fit(image_folder, out, progress=Notes())
    assert not partial.exists() and any("left by an interrupted run" in n for n in notes)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_kill_between_the_renames_of_overwrite_keeps_the_old_model(image_folder, tmp_path):
    out = _fit(image_folder, tmp_path / "m").out
    moved = tmp_path / ".m.old-0badc0de"
    os.replace(out, moved)  # where a kill after the first rename leaves it
    claim.tidy(out)
    assert (out / "config.json").exists() and not moved.exists()
    transferkit.load(out)


def test_a_run_killed_with_sigkill_leaves_nothing_behind(image_folder, tmp_path):
    out = tmp_path / "m"
    proc = subprocess.Popen(
        [*CLI, *SLOW, str(image_folder), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_claim(out)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _fit(image_folder, out)  # takes the claim the killed run held
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    transferkit.load(out)


@pytest.mark.parametrize(
    ("where", "fragment"),
    [
        (lambda tmp: "/proc/transferkit-test/m", "Cannot write /proc/transferkit-test/m"),
        (lambda tmp: tmp / "a-file" / "m", "a part of the path is a file"),
    ],
)
def test_an_unwritable_out_is_found_before_any_work(
    image_folder, tmp_path, monkeypatch, where, fragment
):
    (tmp_path / "a-file").write_text("")

    def work(*args, **kwargs):
        raise AssertionError("the work started before the output was checked")

    monkeypatch.setattr("transferkit.workflows.fit.prepare", work)
    with pytest.raises(ModelDirError, match=fragment):
        _fit(image_folder, where(tmp_path))
