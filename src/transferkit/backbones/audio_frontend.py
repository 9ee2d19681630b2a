"""How a recording becomes what an audio encoder reads: samples at the encoder's rate, then
its own spectrogram (Whisper's log-mel, the speaker encoder's mel power, a plain log-mel)
or the waveform itself, with the settings of the encoder's own configuration.

Length policy: a recording is cropped to ``clip_seconds`` (its start is kept; training
takes a random window instead) and padded with silence at the end to ``min_seconds``
when the encoder needs that much (the speaker encoder's 1.6 s partials). Between those
bounds each recording keeps its own length; a batch is padded to its longest, and the
encoders mask the padding, so a recording's features do not depend on its batch.

Training augmentation (waveform): a random gain, a time shift, noise at a random
signal-to-noise ratio; on spectrograms, SpecAugment-style time and frequency masks.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from math import gcd
from typing import Any

import numpy as np
import torch

from transferkit.backbones.preprocessing import Preprocessing
from transferkit.errors import DataError, first_line
from transferkit.runtime import soundfile_module

FRONTENDS = ("whisper", "mel-power", "log-mel", "waveform")
#: augmentation settings: they change training batches, never evaluation features
_AUGMENT = ("shift_seconds", "gain_db", "noise_snr_db", "spec_masks")


@dataclass(frozen=True)
class AudioPreprocessing(Preprocessing):
    frontend: str = "log-mel"
    sample_rate: int = 16000
    clip_seconds: float = 10.0
    min_seconds: float = 0.0
    n_fft: int = 400  # 25 ms at 16 kHz
    hop: int = 160  # 10 ms
    n_mels: int = 64
    normalize_dbfs: float | None = None  # raise quieter recordings to this loudness
    standardize: bool = False  # waveform: zero mean, unit variance per recording
    shift_seconds: float = 0.1
    gain_db: float = 6.0
    noise_snr_db: tuple[float, float] = (10.0, 40.0)
    spec_masks: int = 2
    modality: str = "audio"

    def __post_init__(self) -> None:
        if self.frontend not in FRONTENDS:
            raise ValueError(f"frontend must be one of {FRONTENDS}")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "noise_snr_db": list(self.noise_snr_db)}

    def key(self) -> str:
        d = {k: v for k, v in self.to_dict().items() if k not in _AUGMENT}
        return json.dumps(d, sort_keys=True)

    # -- one recording ----------------------------------------------------------------
    def prepare(self, raw: Any, augment: bool = False) -> tuple[torch.Tensor, int]:
        """A recording as (features ``[frames, n_mels]`` or samples ``[n]``, valid length)."""
        rate = self.sample_rate
        longest = self.clip_seconds + (self.shift_seconds if augment else 0.0)
        samples = load_audio(raw, rate, None if augment else longest)
        if augment:
            samples = self._augment_wave(samples)
        clip = int(self.clip_seconds * rate)
        if len(samples) > clip:
            start = random.randrange(len(samples) - clip + 1) if augment else 0
            samples = samples[start : start + clip]
        if self.normalize_dbfs is not None:
            samples = _raise_loudness(samples, self.normalize_dbfs)
        shortest = int(self.min_seconds * rate)
        if len(samples) < shortest:
            samples = np.pad(samples, (0, shortest - len(samples)))
        wave = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))
        if self.frontend == "waveform":
            if self.standardize:
                wave = (wave - wave.mean()) / torch.sqrt(wave.var(unbiased=False) + 1e-7)
            return wave, len(wave)
        spec = self.spectrogram(wave)
        if augment and self.spec_masks:
            spec = _spec_augment(spec, self.spec_masks)
        return spec, spec.shape[0]

    def spectrogram(self, wave: torch.Tensor) -> torch.Tensor:
        """``[frames, n_mels]`` of one recording, as the encoder's own front end computes
        it (Whisper: log10 power, floored 8 below its peak, scaled as (x + 4) / 4)."""
        window = torch.hann_window(self.n_fft)
        stft = torch.stft(wave, self.n_fft, self.hop, window=window, return_complex=True)
        power = stft.abs() ** 2
        mel = _mel_filters(self.sample_rate, self.n_fft, self.n_mels).T @ power
        if self.frontend == "whisper":
            log = torch.log10(mel[:, :-1].clamp(min=1e-10))
            log = torch.maximum(log, log.max() - 8.0)
            return ((log + 4.0) / 4.0).T.contiguous()
        if self.frontend == "log-mel":
            return torch.log(mel + 1e-6).T.contiguous()
        return mel.T.contiguous()

    def _augment_wave(self, samples: np.ndarray) -> np.ndarray:
        if self.gain_db:
            samples = samples * 10 ** (random.uniform(-self.gain_db, self.gain_db) / 20)
        if self.shift_seconds:
            lead = random.randrange(int(self.shift_seconds * self.sample_rate) + 1)
            samples = np.concatenate([np.zeros(lead, dtype=np.float32), samples])
        if self.noise_snr_db and random.random() < 0.5:
            snr = random.uniform(*self.noise_snr_db)
            power = float(np.mean(samples**2)) + 1e-12
            noise = np.random.default_rng(random.getrandbits(32)).standard_normal(len(samples))
            samples = samples + noise.astype(np.float32) * np.sqrt(power / 10 ** (snr / 10))
        return samples.astype(np.float32)

    # -- a batch ----------------------------------------------------------------------
    def collate(self, items: list[tuple[torch.Tensor, int]]) -> dict[str, torch.Tensor]:
        """Pad to the longest item with zeros; ``lengths`` says how much of each is real."""
        lengths = torch.tensor([n for _, n in items], dtype=torch.long)
        longest = int(lengths.max())
        first = items[0][0]
        batch = first.new_zeros((len(items), longest, *first.shape[1:]))
        for i, (x, n) in enumerate(items):
            batch[i, :n] = x[:n]
        return {"audio": batch, "lengths": lengths}


def load_audio(source: Any, rate: int, max_seconds: float | None = None) -> np.ndarray:
    """A recording as float32 mono samples at ``rate`` Hz, at most ``max_seconds`` long
    (only that much is decoded). ``source`` is a path, or ``(samples, sample_rate)`` with
    samples ``[n]`` or ``[n, channels]``."""
    if isinstance(source, tuple):
        samples, given_rate = np.asarray(source[0], dtype=np.float32), int(source[1])
        if max_seconds is not None:
            samples = samples[: int(max_seconds * given_rate)]
    else:
        sf = soundfile_module()
        try:
            info = sf.info(str(source))
            frames = -1 if max_seconds is None else int(max_seconds * info.samplerate)
            samples, given_rate = sf.read(str(source), frames=frames, dtype="float32")
        except Exception as exc:
            raise DataError(
                f"Cannot decode recording {source} ({first_line(exc)}); remove or replace it."
            ) from None
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    return resample(samples, given_rate, rate)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``samples`` at ``rate`` Hz as ``target`` Hz (polyphase, anti-aliased)."""
    if rate == target or samples.size == 0:
        return np.ascontiguousarray(samples, dtype=np.float32)
    from scipy.signal import resample_poly

    g = gcd(rate, target)
    return resample_poly(samples, target // g, rate // g).astype(np.float32)


def _mel_filters(rate: int, n_fft: int, n_mels: int) -> torch.Tensor:
    """Slaney-style mel filters ``[n_fft // 2 + 1, n_mels]``: triangles on the Slaney mel
    scale (linear below 1 kHz, logarithmic above), each scaled to unit area, as librosa's
    default, which Whisper and the speaker encoder were trained with."""
    key = (rate, n_fft, n_mels)
    if key not in _FILTERS:
        edges = _from_mel(np.linspace(0.0, _to_mel(rate / 2), n_mels + 2))
        freqs = np.linspace(0, rate / 2, n_fft // 2 + 1)
        lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
        rising = (freqs[None, :] - lower) / (centre - lower)
        falling = (upper - freqs[None, :]) / (upper - centre)
        bank = np.maximum(0.0, np.minimum(rising, falling)) * (2.0 / (upper - lower))
        _FILTERS[key] = torch.from_numpy(bank.T.astype(np.float32))
    return _FILTERS[key]


_LINEAR_STEP, _LOG_START = 200.0 / 3, 1000.0
_LOG_STEP = np.log(6.4) / 27.0


def _to_mel(hz: float) -> float:
    if hz < _LOG_START:
        return hz / _LINEAR_STEP
    return _LOG_START / _LINEAR_STEP + np.log(hz / _LOG_START) / _LOG_STEP


def _from_mel(mel: np.ndarray) -> np.ndarray:
    linear = mel * _LINEAR_STEP
    start = _LOG_START / _LINEAR_STEP
    return np.where(mel < start, linear, _LOG_START * np.exp(_LOG_STEP * (mel - start)))


_FILTERS: dict[tuple[int, int, int], torch.Tensor] = {}


def _raise_loudness(samples: np.ndarray, target_dbfs: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
    if rms <= 0:
        return samples
    gain = target_dbfs - 20 * np.log10(rms)
    return samples * np.float32(10 ** (gain / 20)) if gain > 0 else samples


def _spec_augment(spec: torch.Tensor, masks: int) -> torch.Tensor:
    spec = spec.clone()
    frames, bands = spec.shape
    fill = spec.mean()
    for _ in range(masks):
        width = random.randint(0, max(1, frames // 10))
        start = random.randint(0, max(0, frames - width))
        spec[start : start + width] = fill
        width = random.randint(0, max(1, bands // 8))
        start = random.randint(0, max(0, bands - width))
        spec[:, start : start + width] = fill
    return spec


def frame_mask(lengths: torch.Tensor, frames: int) -> torch.Tensor:
    """``[batch, frames]``: True where a frame is real, not padding."""
    return torch.arange(frames, device=lengths.device)[None, :] < lengths[:, None]


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``x [batch, frames, dim]`` over the real frames of each example."""
    m = mask.to(x.dtype).unsqueeze(-1)
    return (x * m).sum(1) / m.sum(1).clamp(min=1.0)
