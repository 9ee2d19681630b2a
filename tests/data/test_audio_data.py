"""Audio data: class folders and manifests of recordings, bad recordings skipped and
listed, and groups (speakers) that splits never share."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from transferkit.data.config import DataConfig
from transferkit.data.load import load_splits, read_dataset
from transferkit.errors import ConfigError, DataError

RATE = 8000


def tone(path: Path, freq: float, seconds: float = 0.5, rate: int = RATE, **kw: object) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate, **kw)
    return path


def manifest(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "speaker"])
        w.writerows(rows)
    return path


@pytest.fixture
def speakers(tmp_path: Path) -> Path:
    """Two digits said by four speakers, three times each, listed in a manifest whose
    paths are relative to it."""
    rows = []
    for s, speaker in enumerate(("ann", "bob", "cid", "dee")):
        for digit, freq in (("0", 300), ("1", 900)):
            for i in range(3):
                name = f"rec/{digit}_{speaker}_{i}.wav"
                tone(tmp_path / name, freq + 20 * s + 5 * i)
                rows.append((name, digit, speaker))
    return manifest(tmp_path / "all.csv", rows)


def test_a_manifest_reads_files_relative_to_it_with_their_groups(speakers: Path) -> None:
    ds = read_dataset(speakers, DataConfig(group_column="speaker"))
    assert ds.modality == "audio" and len(ds) == 24
    assert all(Path(p).is_file() for p in ds.inputs)
    assert sorted(set(ds.groups or [])) == ["ann", "bob", "cid", "dee"]


def test_validation_carved_by_group_never_shares_a_speaker_with_train(speakers: Path) -> None:
    for seed in range(5):
        splits = load_splits(speakers, DataConfig(group_column="speaker"), seed=seed)
        train, val = set(splits.train.groups or []), set(splits.val.groups or [])
        assert train and val and not train & val
        assert set(splits.val.labels or []) == {"0", "1"}  # whole speakers hold every class
    # and the same seed carves the same speakers
    cfg = DataConfig(group_column="speaker")
    assert load_splits(speakers, cfg, seed=3).val.groups == load_splits(speakers, cfg, 3).val.groups


def test_test_group_holds_one_speaker_out(speakers: Path) -> None:
    cfg = DataConfig(group_column="speaker", test_group="cid")
    splits = load_splits(speakers, cfg, seed=0)
    assert set(splits.test.groups or []) == {"cid"} and len(splits.test) == 6
    assert "cid" not in set(splits.train.groups or []) | set(splits.val.groups or [])
    assert "group 'cid'" in (splits.test_origin or "")


def test_group_options_fail_in_one_sentence(speakers: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"No group 'eve'.*ann, bob, cid, dee"):
        load_splits(speakers, DataConfig(group_column="speaker", test_group="eve"))
    with pytest.raises(DataError, match="no column 'voice'"):
        load_splits(speakers, DataConfig(group_column="voice"))
    with pytest.raises(ConfigError, match="give that column too"):
        DataConfig.from_dict({"test_group": "ann"})
    folder = tmp_path / "folder"
    tone(folder / "a" / "1.wav", 300)
    tone(folder / "b" / "1.wav", 900)
    with pytest.raises(DataError, match="CSV manifest"):
        read_dataset(folder, DataConfig(group_column="speaker"))


def test_class_folders_of_recordings_skip_and_list_bad_ones(tmp_path: Path) -> None:
    root = tmp_path / "data"
    for label, freq in (("low", 300), ("high", 900)):
        for i in range(3):
            tone(root / label / f"{i}.flac", freq + i, format="FLAC")
    (root / "low" / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
    sf.write(root / "low" / "empty.wav", np.zeros(0, np.float32), RATE)
    sf.write(root / "high" / "silent.wav", np.zeros(4000, np.float32), RATE)
    tone(root / "high" / "session.wav", 440, seconds=11 * 60, rate=4000, subtype="PCM_U8")
    (root / "high" / "notes.txt").write_text("not audio")
    ds = read_dataset(root)
    assert ds.modality == "audio" and len(ds) == 6
    reasons = {s.where: s.reason for s in ds.skipped}
    assert "not a readable audio file" in reasons["low/corrupt.wav"]
    assert "no samples" in reasons["low/empty.wav"]
    assert "silent" in reasons["high/silent.wav"]
    assert "11 minutes long" in reasons["high/session.wav"]
    assert "not an audio file type (.txt)" in reasons["high/notes.txt"]
    with pytest.raises(DataError, match=r"^high/\S+\.wav: .*--on-bad-input skip"):
        read_dataset(root, DataConfig(on_bad_input="error"))


def test_a_manifest_row_naming_a_missing_file_is_skipped_and_listed(tmp_path: Path) -> None:
    tone(tmp_path / "a.wav", 300)
    tone(tmp_path / "b.wav", 900)
    path = manifest(
        tmp_path / "m.csv", [("a.wav", "x", "p"), ("b.wav", "y", "p"), ("gone.wav", "x", "p")]
    )
    ds = read_dataset(path)
    assert len(ds) == 2
    assert ds.skipped[0].where == "m.csv row 4"
    assert "gone.wav does not exist" in ds.skipped[0].reason


def test_stereo_and_other_rates_become_mono_at_the_encoders_rate(tmp_path: Path) -> None:
    from transferkit.backbones.audio_frontend import load_audio

    t = np.arange(22050) / 22050
    left = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    sf.write(tmp_path / "s.wav", np.stack([left, -left], 1), 22050)
    mono = load_audio(tmp_path / "s.wav", 16000)
    assert mono.dtype == np.float32 and mono.ndim == 1 and len(mono) == 16000
    assert np.abs(mono).max() < 1e-4  # the channels cancel (to 16-bit rounding): averaged
    sf.write(tmp_path / "l.wav", left, 22050)
    resampled = load_audio(tmp_path / "l.wav", 16000)
    spectrum = np.abs(np.fft.rfft(resampled))
    assert abs(np.argmax(spectrum) * 16000 / len(resampled) - 440) < 2  # same pitch
