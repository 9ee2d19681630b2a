"""A backbone whose features carry no information about the labels, to rank against."""

from __future__ import annotations

import hashlib
from typing import Any

import torch
from torch import nn

from transferkit.backbones import Backbone, ImagePreprocessing


class NoiseBackbone(Backbone):
    """16-d Gaussian noise seeded by each image's pixels: deterministic (so cacheable),
    but independent of the class."""

    modality = "image"

    def __init__(self, dims: int = 16) -> None:
        super().__init__()
        self.source = "noise"
        self.num_features = dims
        self.preprocessing = ImagePreprocessing(size=8, resize=8)
        self.anchor = nn.Parameter(torch.zeros(1), requires_grad=False)

    def blocks(self) -> list[nn.Module]:
        return [nn.Identity()]

    def finish(self, state: Any) -> torch.Tensor:
        rows = []
        for image in state:
            seed = int(hashlib.blake2b(image.numpy().tobytes(), digest_size=6).hexdigest(), 16)
            gen = torch.Generator().manual_seed(seed)
            rows.append(torch.randn(self.num_features, generator=gen))
        return torch.stack(rows)
