"""A small convolutional network over a 64-band log-mel spectrogram, the from-scratch
baseline for audio (the kind of model that reaches about 0.95 on spoken digits when
trained on them alone). It has no pretrained weights: train it with ``scratch``.

Four blocks of 3x3 convolution, batch norm, ReLU and 2x2 max pooling (32, 64, 128, 128
channels), then the mean over frequency and over the real frames of each recording."""

from __future__ import annotations

import itertools
from pathlib import Path

import torch
from torch import nn

from transferkit.backbones.audio_frontend import AudioPreprocessing, frame_mask, masked_mean
from transferkit.backbones.base import Backbone
from transferkit.backbones.registry import register_backbone
from transferkit.backbones.weights import load_state_dict
from transferkit.errors import IncompatibleError

NAME = "audio-cnn"
CHANNELS = (32, 64, 128, 128)

LOG_MEL = AudioPreprocessing(frontend="log-mel", sample_rate=16000, clip_seconds=10.0, n_mels=64)


def _block(cin: int, cout: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2, ceil_mode=True),
    )


class AudioCNN(Backbone):
    modality = "audio"
    staged = False

    def __init__(
        self,
        source: str = NAME,
        channels: tuple[int, ...] = CHANNELS,
        preprocessing: AudioPreprocessing = LOG_MEL,
    ) -> None:
        super().__init__()
        self.source = source
        chans = (1, *channels)
        self.body = nn.ModuleList(_block(a, b) for a, b in itertools.pairwise(chans))
        self.num_features = channels[-1]
        self.preprocessing = preprocessing

    def blocks(self) -> list[nn.Module]:
        return list(self.body)

    def forward_features(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        mel, lengths = batch["audio"], batch["lengths"]
        # padding is zero, as a convolution pads a lone recording, and is zeroed again
        # after each activation (ReLU's output is >= 0, so max pooling over a padded
        # window gives what the lone recording's partial window gives): a recording's
        # features in eval mode do not depend on its batch
        x = _zero_padding(mel.unsqueeze(1), lengths)  # [b, 1, frames, mels]
        for block in self.body:
            *convolve, pool = block
            x = pool(_zero_padding(nn.Sequential(*convolve)(x), lengths))
            lengths = (lengths + 1) // 2
        x = x.mean(dim=3).transpose(1, 2)  # [b, frames, channels]
        return masked_mean(x, frame_mask(lengths, x.shape[1]))

    def finish(self, state: torch.Tensor) -> torch.Tensor:  # forward_features runs whole
        raise NotImplementedError


def _zero_padding(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``x [b, c, frames, mels]`` with the frames beyond each recording's length zeroed."""
    return x * frame_mask(lengths, x.shape[2])[:, None, :, None].to(x.dtype)


@register_backbone(
    NAME,
    modality="audio",
    description="small CNN over a 64-band log-mel at 16 kHz, no pretrained weights: the "
    "from-scratch audio baseline (--strategy scratch)",
    available=lambda: True,
    install="nothing (part of transferkit)",
)
def audio_cnn(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    if pretrained and weights is None and files is None:
        raise IncompatibleError(
            f"{NAME} has no pretrained weights; train it with --strategy scratch."
        )
    backbone = AudioCNN()
    if weights is not None:
        backbone.load_state_dict(load_state_dict(weights))
    return backbone.eval()
