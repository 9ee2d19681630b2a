"""``features:N``: vectors the user already has (embeddings from another tool, measurements)
as a backbone that passes them through unchanged. The heads, calibration, familiarity and
every check of transferkit then apply to them; nothing is pretrained, so only the head
learns. In-memory data given as a 2-D numeric array (``transferkit.data.memory``) uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from transferkit.backbones.base import Backbone, Modality
from transferkit.backbones.preprocessing import Preprocessing
from transferkit.backbones.registry import register_source
from transferkit.errors import DataError, UnknownNameError

#: the widest vector accepted (a bound, so a damaged model directory cannot ask for more)
MAX_WIDTH = 1 << 20


class VectorPreprocessing(Preprocessing):
    """One vector of ``width`` finite numbers per example, as float32."""

    modality = "features"

    def __init__(self, width: int) -> None:
        self.width = width

    def prepare(self, raw: Any, augment: bool = False) -> torch.Tensor:
        vector = np.asarray(raw, dtype=np.float32).reshape(-1)
        if vector.shape[0] != self.width:
            raise DataError(
                f"A feature vector holds {vector.shape[0]} numbers but this model reads "
                f"{self.width}; give vectors of {self.width} numbers."
            )
        return torch.from_numpy(vector.copy())

    def collate(self, items: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(items)

    def to_dict(self) -> dict[str, Any]:
        return {"modality": self.modality, "width": self.width}


class FeatureVectors(Backbone):
    """The identity: ``forward_features(batch) == batch``, no blocks, no weights."""

    modality: Modality = "features"  # type: ignore[assignment]
    cacheable = False  # nothing to save by caching what is already the input

    def __init__(self, width: int) -> None:
        super().__init__()
        self.source = f"features:{width}"
        self.num_features = width
        self.preprocessing = VectorPreprocessing(width)
        # no weights, but one (empty) parameter: it tells the code that asks where the
        # backbone lives (``next(backbone.parameters()).device``)
        self.anchor = nn.Parameter(torch.zeros(0), requires_grad=False)

    def blocks(self) -> Sequence[nn.Module]:
        return []

    def finish(self, state: torch.Tensor) -> torch.Tensor:
        return state


def width_of(name: str) -> int:
    """The width in ``features:N``; one sentence if ``N`` is not a usable width."""
    try:
        width = int(name)
    except ValueError:
        width = 0
    if not 1 <= width <= MAX_WIDTH:
        raise UnknownNameError(
            f"features:{name} names no vector width; use features:N with N the number of "
            f"values per example (1 to {MAX_WIDTH})."
        )
    return width


@register_source(
    "features",
    description="vectors you already have, passed through unchanged (only the head learns)",
    example="features:384",
)
def feature_vectors(
    name: str, pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    if weights is not None:
        raise UnknownNameError("features:N has no weights to load; drop --weights.")
    return FeatureVectors(width_of(name))
