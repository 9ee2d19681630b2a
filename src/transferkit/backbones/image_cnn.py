"""A small convolutional network for images at 64 px, the from-scratch image baseline that
a CPU can train in seconds per epoch (``--scratch-model image-cnn``). A pretrained
network's own architecture trained from random weights (``scratch`` with the pretrained
model) is the like-for-like baseline, but at 224 px it costs minutes per epoch here and,
on a few hundred images, learns no more than this.

Four blocks of 3x3 convolution, batch norm, ReLU and 2x2 max pooling (16, 32, 64, 128
channels), then global average pooling. It has no pretrained weights: train it with
``scratch``."""

from __future__ import annotations

import itertools
from pathlib import Path

from torch import nn

from transferkit.backbones.base import Backbone, SequentialImageBackbone
from transferkit.backbones.preprocessing import ImagePreprocessing
from transferkit.backbones.registry import register_backbone
from transferkit.backbones.weights import load_state_dict
from transferkit.errors import IncompatibleError

NAME = "image-cnn"
CHANNELS = (16, 32, 64, 128)
PREPROCESSING = ImagePreprocessing(size=64, resize=73)


def _block(cin: int, cout: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


@register_backbone(
    NAME,
    modality="image",
    description="small CNN at 64 px, no pretrained weights: the from-scratch image "
    "baseline a CPU trains quickly (--strategy scratch)",
    available=lambda: True,
    install="nothing (part of transferkit)",
)
def image_cnn(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    if pretrained and weights is None and files is None:
        raise IncompatibleError(
            f"{NAME} has no pretrained weights; train it with --strategy scratch."
        )
    blocks = [_block(a, b) for a, b in itertools.pairwise((3, *CHANNELS))]
    backbone = SequentialImageBackbone(NAME, blocks, CHANNELS[-1], PREPROCESSING)
    if weights is not None:
        backbone.load_state_dict(load_state_dict(weights))
    return backbone.eval()
