"""MFCC statistics: the classic hand-made audio features, with nothing learnt and nothing
pretrained. 20 mel-frequency cepstral coefficients (the DCT of a 40-band log-mel, 25 ms
windows every 10 ms at 16 kHz) and their deltas, each as its mean and standard deviation
over a recording's frames: 80 numbers.

With ``linear-probe`` it is the baseline a speech lab starts from (about 0.97 on spoken
digits); as ``compare --scratch-model mfcc`` it is the no-transfer side of the verdict,
so a pretrained encoder that loses to it is reported as negative transfer.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from transferkit.backbones.audio_frontend import AudioPreprocessing, frame_mask
from transferkit.backbones.base import Backbone
from transferkit.backbones.registry import register_backbone

NAME = "mfcc"
COEFFICIENTS, BANDS = 20, 40

MFCC_FRONTEND = AudioPreprocessing(
    frontend="log-mel", sample_rate=16000, clip_seconds=10.0, n_mels=BANDS
)


def dct_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """Orthonormal DCT-II ``[n_in, n_out]``, as ``scipy.fft.dct(norm="ortho")``."""
    k = torch.arange(n_out, dtype=torch.float64)[None, :]
    n = torch.arange(n_in, dtype=torch.float64)[:, None]
    m = torch.cos(math.pi / n_in * (n + 0.5) * k) * math.sqrt(2 / n_in)
    m[:, 0] /= math.sqrt(2)
    return m.float()


class MFCCStatistics(Backbone):
    modality = "audio"
    staged = False

    def __init__(self) -> None:
        super().__init__()
        self.source = NAME
        self.register_buffer("dct", dct_matrix(BANDS, COEFFICIENTS), persistent=False)
        # an empty module and an empty weight (where the backbone's device is read): a
        # strategy that trains "the backbone" finds nothing to train
        self.body = nn.Identity()
        self.anchor = nn.Parameter(torch.zeros(0), requires_grad=False)
        self.num_features = 4 * COEFFICIENTS
        self.preprocessing = MFCC_FRONTEND

    def blocks(self) -> list[nn.Module]:
        return [self.body]

    def forward_features(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        mel, lengths = batch["audio"], batch["lengths"]
        mfcc = mel @ self.dct  # [b, frames, 20]
        delta = torch.zeros_like(mfcc)
        delta[:, 1:-1] = (mfcc[:, 2:] - mfcc[:, :-2]) / 2
        # a recording's first and last frames have no neighbour on one side (padding in a
        # batch is not one): their deltas are zero, alone or batched
        frames = torch.arange(mel.shape[1], device=mel.device)[None, :]
        delta = delta * ((frames >= 1) & (frames < lengths[:, None] - 1)).unsqueeze(-1)
        mask = frame_mask(lengths, mel.shape[1]).unsqueeze(-1).to(mel.dtype)
        count = mask.sum(1).clamp(min=1.0)
        stats = []
        for x in (mfcc, delta):
            mean = (x * mask).sum(1) / count
            var = (((x - mean[:, None]) ** 2) * mask).sum(1) / count
            stats += [mean, var.sqrt()]
        return torch.cat(stats, dim=1)

    def finish(self, state: torch.Tensor) -> torch.Tensor:  # forward_features runs whole
        raise NotImplementedError


@register_backbone(
    NAME,
    modality="audio",
    description="MFCC statistics (20 coefficients and deltas, mean and std; nothing learnt): "
    "the hand-made audio baseline",
    available=lambda: True,
    install="nothing (part of transferkit)",
)
def mfcc(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    return MFCCStatistics().eval()
