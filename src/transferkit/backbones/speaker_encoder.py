"""Resemblyzer's speaker encoder (Apache-2.0; the GE2E model of Wan et al. 2018): three
LSTM layers over 40 mel bands at 16 kHz, a linear layer, ReLU and L2 normalisation to a
256-d voice embedding. It was trained to tell speakers apart whatever they say, so it
is expected to transfer to speaker identity and poorly to what was said.

The weights are the ``pretrained.pt`` inside the ``resemblyzer`` package, read with
``torch.load(weights_only=True)`` (tensors only; nothing is unpickled as code) without
importing the package, whose import pulls in librosa and webrtcvad that this encoder
does not need. The front end is the package's own: mel power (no log) with 25 ms windows
every 10 ms, quiet recordings raised to -30 dBFS, recordings shorter than one 1.6 s
partial padded with silence to it, as ``VoiceEncoder.embed_utterance`` does (it then
averages 1.6 s partials of longer recordings; here the LSTM reads them whole).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from transferkit.backbones.audio_frontend import AudioPreprocessing
from transferkit.backbones.base import Backbone
from transferkit.backbones.registry import register_backbone
from transferkit.backbones.weights import package_file
from transferkit.errors import IncompatibleError, ModelDirError, WeightsUnavailableError

NAME = "resemblyzer"
_INSTALL = "pip install --no-deps resemblyzer"
HIDDEN, LAYERS, MELS = 256, 3, 40

SPEAKER_FRONTEND = AudioPreprocessing(
    frontend="mel-power",
    sample_rate=16000,
    clip_seconds=10.0,
    min_seconds=1.6,
    n_fft=400,
    hop=160,
    n_mels=MELS,
    normalize_dbfs=-30.0,
)


class _Recurrent(nn.Module):
    """One LSTM layer over packed sequences: padding never enters the state."""

    def __init__(self, inputs: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(inputs, HIDDEN, batch_first=True)

    def forward(self, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, Any]:
        x, lengths = state
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, (hidden, _) = self.lstm(packed)
        padded, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        self.last_hidden = hidden[-1]
        return padded, lengths


class SpeakerEncoderBackbone(Backbone):
    modality = "audio"
    staged = False  # the final hidden state, not a pooled frame sequence, is the output

    def __init__(self) -> None:
        super().__init__()
        self.source = NAME
        self.recurrent = nn.ModuleList(_Recurrent(MELS if i == 0 else HIDDEN) for i in range(3))
        self.linear = nn.Linear(HIDDEN, HIDDEN)
        self.num_features = HIDDEN
        self.preprocessing = SPEAKER_FRONTEND

    def blocks(self) -> list[nn.Module]:
        return [*self.recurrent, self.linear]

    def forward_features(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        state = (batch["audio"], batch["lengths"])
        hidden = state[0].new_zeros(0)
        for layer in self.recurrent:
            x, lengths = layer(state)
            hidden = layer.last_hidden
            state = (x, lengths)
        embedding = torch.relu(self.linear(hidden))
        return embedding / embedding.norm(dim=1, keepdim=True).clamp(min=1e-8)

    def finish(self, state: Any) -> torch.Tensor:  # forward_features runs whole
        raise NotImplementedError


def weights_file() -> Path | None:
    return package_file(NAME, "pretrained.pt")


def _state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        theirs = checkpoint["model_state"]
    except Exception as exc:
        raise ModelDirError(f"{path} is not the speaker encoder's weights ({exc}).") from None
    ours = {"linear.weight": theirs["linear.weight"], "linear.bias": theirs["linear.bias"]}
    for i in range(LAYERS):
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            ours[f"recurrent.{i}.lstm.{kind}_l0"] = theirs[f"lstm.{kind}_l{i}"]
    return ours


@register_backbone(
    NAME,
    modality="audio",
    description="Resemblyzer speaker encoder (GE2E: 3-layer LSTM over 40 mel bands at 16 kHz, "
    "256-d voice embedding; trainable)",
    available=lambda: weights_file() is not None,
    install=_INSTALL,
)
def resemblyzer(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    if weights is not None:
        raise IncompatibleError(f"{NAME} loads its packaged weights; drop --weights.")
    backbone = SpeakerEncoderBackbone()
    if pretrained:
        path = weights_file()
        if path is None:
            raise WeightsUnavailableError(f"{NAME} needs its weights; run `{_INSTALL}`.")
        backbone.load_state_dict(_state_dict(path))
    return backbone.eval()
