"""The workflows on recordings (tiny models, generated tones): compare against a chosen
no-transfer baseline, explore with recordings to play, predict from files and folders,
and speakers held out through the command line."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

import transferkit
from tests.cli.test_cli import run
from tests.conftest import write_audio_folder


def test_compare_judges_transfer_against_the_named_baseline(audio_splits: Path) -> None:
    result = transferkit.compare(
        audio_splits,
        "tiny-audio",
        ["linear-probe", "scratch"],
        [4],
        seeds=2,
        scratch_model="mfcc",
        test_split="val",
    )
    assert [c.strategy for c in result.cells] == ["linear-probe", "scratch"]
    assert len(result.verdicts) == 1 and "mfcc" in result.verdicts[0].sentence
    note = next(n for n in result.notes if "--scratch-model" in n)
    assert "mfcc" in note and "logistic regression" in note  # nothing to train: a probe
    # tones are as easy for MFCC statistics as for the CNN: no gain may be claimed
    assert result.cells[1].mean == 1.0 and result.verdicts[0].kind == "no-gain"


def test_explore_report_plays_the_recordings_of_each_cluster(
    audio_splits: Path, tmp_path: Path
) -> None:
    result = transferkit.explore(
        audio_splits / "train", "tiny-audio", out=tmp_path / "x", clusters=2
    )
    html = (result.out / "report.html").read_text()
    players = re.findall(r'<audio controls preload="none" src="data:audio/wav;base64,', html)
    assert len(players) == 6  # the first 3 recordings of each of the 2 clusters
    assert "recordings" in html


def test_predict_reads_recordings_files_folders_and_manifests(
    audio_splits: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    fitted = transferkit.fit(audio_splits, "tiny-audio", test_split="val", out=tmp_path / "m")
    one = next((audio_splits / "val" / "high").glob("*.wav"))
    code, said, _ = run(
        ["predict", fitted.out, one, audio_splits / "val" / "low", "--format", "csv"], capsys
    )
    assert code == 0 and said.count(".wav") == 7
    model = transferkit.load(fitted.out)
    assert model.predict([str(one)]) == ["high"]
    assert len(model.predict(audio_splits / "val")) == 12
    import soundfile as sf

    samples, rate = sf.read(one, dtype="float32")  # a recording in memory
    assert model.predict([(samples, rate)]) == ["high"]


def test_a_speaker_held_out_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rows = []
    for speaker in ("ann", "bob", "cid"):
        folder = write_audio_folder(tmp_path / speaker, 4, seed=hash(speaker) % 100)
        rows += [(str(p), p.parent.name, speaker) for p in sorted(folder.rglob("*.wav"))]
    manifest = tmp_path / "all.csv"
    with open(manifest, "w", newline="") as fh:
        csv.writer(fh).writerows([("path", "label", "speaker"), *rows])
    args = ["fit", manifest, "-m", "tiny-audio", "--group-column", "speaker"]
    code, said, err = run([*args, "--test-group", "bob", "--out", tmp_path / "m"], capsys)
    assert code == 0, err
    assert "test (8 examples)" in said
    summary = transferkit.load(tmp_path / "m").record.data["summary"]
    assert summary["test_origin"].startswith("group 'bob'")


@pytest.mark.parametrize("given", ["texts", "images"])
def test_an_audio_model_refuses_other_inputs_in_one_sentence(
    audio_splits: Path, tmp_path: Path, given: str, capsys: pytest.CaptureFixture
) -> None:
    fitted = transferkit.fit(audio_splits, "tiny-audio", test_split="val", out=tmp_path / "m")
    other = tmp_path / ("t.txt" if given == "texts" else "p.png")
    other.write_text("a sentence") if given == "texts" else other.write_bytes(b"\x89PNG")
    code, _, said = run(["predict", fitted.out, other], capsys)
    assert code == 2 and "audio" in said and "Traceback" not in said
