"""Speech encoders from Hugging Face (``hf:ID`` or a local folder whose ``config.json``
names an audio architecture): wav2vec 2.0, HuBERT, WavLM, data2vec-audio, UniSpeech,
SEW, and Whisper's encoder.

Settings come from the model's own ``preprocessor_config.json``: the sample rate, whether
the waveform is standardised, and (Whisper) the log-mel bands. Features are the mean of
the last hidden state over a recording's real frames. The wav2vec 2.0 family reads the
waveform one recording at a time: its convolutional front end normalises over the whole
input (wav2vec2-base's group norm), so zero padding in a batch would change a
recording's features, and with them what the feature cache keeps. Whisper's encoder
reads exactly 30 s, so recordings are padded to that (slow on a CPU: ``whisper-tiny.en``
reads each at its own length).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from transferkit.backbones.audio_frontend import AudioPreprocessing, frame_mask, masked_mean
from transferkit.backbones.base import Backbone
from transferkit.errors import IncompatibleError

WAVEFORM_TYPES = frozenset(
    {"wav2vec2", "hubert", "wavlm", "data2vec-audio", "unispeech", "unispeech-sat", "sew", "sew-d"}
)
AUDIO_TYPES = WAVEFORM_TYPES | {"whisper", "audio-spectrogram-transformer"}


def model_type(folder: Path) -> str | None:
    """The architecture a model folder's ``config.json`` names (read as data)."""
    try:
        return json.loads((folder / "config.json").read_text()).get("model_type")
    except (OSError, ValueError, AttributeError):
        return None


class HFAudioBackbone(Backbone):
    modality = "audio"
    staged = False

    def __init__(
        self, model: nn.Module, prep: AudioPreprocessing, source: str, extractor: dict[str, Any]
    ) -> None:
        super().__init__()
        self.source = source
        self.model = model
        self.preprocessing = prep
        self.extractor = extractor  # the preprocessor_config.json it was built from
        config = model.config
        self.num_features = int(getattr(config, "hidden_size", None) or config.d_model)

    def blocks(self) -> list[nn.Module]:
        encoder = getattr(self.model, "encoder", self.model)
        layers = getattr(encoder, "layers", None) or getattr(encoder, "layer", None)
        stem = [m for n, m in self.model.named_children() if n != "encoder"]
        return [*stem, *(layers or [encoder])]

    def forward_features(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        x, lengths = batch["audio"], batch["lengths"]
        if self.preprocessing.frontend == "whisper":
            hidden = self.model(input_features=x.transpose(1, 2)).last_hidden_state
            return masked_mean(hidden, frame_mask((lengths + 1) // 2, hidden.shape[1]))
        # one recording at a time: the convolutional front end's group norm (wav2vec2-base)
        # spans the whole input, padding included, so batching would change the features
        pooled = []
        for wave, n in zip(x, lengths.tolist(), strict=True):
            out = self.model(wave[None, :n]).last_hidden_state
            pooled.append(out.mean(1))
        return torch.cat(pooled)

    def finish(self, state: Any) -> torch.Tensor:  # forward_features runs whole
        raise NotImplementedError

    def save_files(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.model.config.save_pretrained(directory)
        (directory / "preprocessor_config.json").write_text(json.dumps(self.extractor))


def build_hf_audio(
    folder: Path, source: str, pretrained: bool, weights_state: dict | None = None
) -> HFAudioBackbone:
    """An audio encoder from a local folder, never running code from it nor downloading."""
    from transformers import AutoConfig, AutoModel

    kind = model_type(folder)
    if kind == "audio-spectrogram-transformer":
        raise IncompatibleError(
            f"{source} is an Audio Spectrogram Transformer, whose Kaldi filter-bank front "
            "end transferkit does not compute; use a wav2vec 2.0, HuBERT, WavLM or Whisper "
            "model, or whisper-tiny.en."
        )
    local = {"trust_remote_code": False, "local_files_only": True}
    extractor = json.loads((folder / "preprocessor_config.json").read_text())
    rate = int(extractor.get("sampling_rate", 16000))
    if kind == "whisper":
        config = AutoConfig.from_pretrained(folder, **local)
        whole = AutoModel.from_pretrained(folder, **local) if pretrained else None
        model = whole.get_encoder() if whole is not None else _whisper_encoder(config)
        prep = AudioPreprocessing(
            frontend="whisper",
            sample_rate=rate,
            clip_seconds=30.0,
            min_seconds=30.0,
            n_fft=int(extractor.get("n_fft", 400)),
            hop=int(extractor.get("hop_length", 160)),
            n_mels=int(extractor.get("feature_size", 80)),
        )
    else:
        config = AutoConfig.from_pretrained(folder, **local)
        model = (
            AutoModel.from_pretrained(folder, **local)
            if pretrained
            else AutoModel.from_config(config, trust_remote_code=False)
        )
        prep = AudioPreprocessing(
            frontend="waveform",
            sample_rate=rate,
            clip_seconds=20.0,
            standardize=bool(extractor.get("do_normalize", True)),
        )
    if weights_state is not None:
        model.load_state_dict(weights_state)
    return HFAudioBackbone(model.eval(), prep, source, extractor).eval()


def _whisper_encoder(config: Any) -> nn.Module:
    from transformers.models.whisper.modeling_whisper import WhisperEncoder

    return WhisperEncoder(config)
