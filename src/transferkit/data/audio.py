"""Audio recordings: ``<root>/<class>/<recording>.wav`` folders, and decoding.

Files are checked here; ``backbones.audio_frontend.load_audio`` decodes them. Decoding is
soundfile's (libsndfile: WAV, FLAC, OGG/Vorbis, Opus, AIFF, and MP3 where the
bundled libsndfile has it, as it does from 1.1). Every recording becomes float32 mono at
the sample rate its encoder expects: channels are averaged, the rate is changed with a
polyphase filter (scipy). How long a recording may be is the encoder's choice
(``AudioPreprocessing.clip_seconds``: shorter ones are padded with silence, longer ones
cropped); a file too long to be a clip at all, silent, empty or undecodable is bad input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from transferkit.data.dataset import Dataset
from transferkit.data.folders import MediaKind, holds_class_folders, list_media, read_class_folders
from transferkit.errors import first_line
from transferkit.runtime import soundfile_module

AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif"})
#: longer than this is a whole session, not a clip to classify: cut it first
MAX_MINUTES = 10
#: a recording whose loudest sample is below this (-80 dBFS) holds nothing to hear
SILENCE_PEAK = 1e-4
MIN_RATE = 4000
MAX_CHANNELS = 8


def check_audio(path: Path) -> str | None:
    """Why the file cannot be used as a recording, or ``None``: it reads the header and,
    for the silence test, at most the first minute of samples."""
    sf = soundfile_module()
    try:
        info = sf.info(str(path))
    except Exception as exc:  # libsndfile's errors carry no stable type across versions
        return f"not a readable audio file ({first_line(exc)})"
    if info.frames <= 0 or info.samplerate <= 0:
        return "recording has no samples (zero length)"
    if info.channels > MAX_CHANNELS:
        return f"has {info.channels} channels, more than a recording's 1 to {MAX_CHANNELS}"
    if info.samplerate < MIN_RATE:
        return f"is sampled at {info.samplerate} Hz, below the {MIN_RATE} Hz speech needs"
    minutes = info.frames / info.samplerate / 60
    if minutes > MAX_MINUTES:
        return f"is {minutes:.0f} minutes long, a session rather than a clip; cut it into clips"
    try:
        head, _ = sf.read(str(path), frames=60 * info.samplerate, dtype="float32")
    except Exception as exc:
        return f"cannot be decoded ({first_line(exc)})"
    if not np.isfinite(head).all():
        return "holds samples that are not numbers (NaN or infinity)"
    if head.size == 0 or float(np.abs(head).max()) < SILENCE_PEAK:
        return "is silent (no sample above -80 dBFS)"
    return None


AUDIO = MediaKind("audio", "recording", AUDIO_SUFFIXES, check_audio, "<recording>.wav")


def is_audio_file(path: Path) -> bool:
    return AUDIO.owns(path)


def looks_like_audio_folder(root: Path) -> bool:
    """True if some sub-folder of ``root`` holds audio files."""
    return holds_class_folders(root, AUDIO)


def read_audio_folder(root: Path, on_bad_input: str, display_root: Path | None = None) -> Dataset:
    """Every recording under ``root/<class>/``, sorted by path; unusable ones are skipped
    and listed (or stop the run under ``on_bad_input="error"``)."""
    return read_class_folders(root, AUDIO, on_bad_input, display_root)


def list_audio(path: Path) -> list[Path]:
    return list_media(path, AUDIO)
