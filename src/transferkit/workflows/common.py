"""What every workflow shares: the output directory, the feature cache, the device, the
default backbone for the data's modality."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transferkit.backbones import Backbone, create_backbone, default_backbone
from transferkit.errors import IncompatibleError
from transferkit.features import FeatureCache
from transferkit.models.artifact import check_writable
from transferkit.runtime import device_profile


def output_path(out: str | Path | None, overwrite: bool) -> Path | None:
    """The output directory, checked before any work: an existing one is only replaced
    when asked."""
    if out is None:
        return None
    path = Path(out).expanduser()
    check_writable(path, overwrite)
    return path


def feature_cache(cache: bool | FeatureCache, engine: str = "auto") -> FeatureCache:
    """A ``FeatureCache`` from what a caller passes: one to share, or on/off; ``engine``
    computes what it lacks."""
    if isinstance(cache, FeatureCache):
        return cache
    return FeatureCache(enabled=bool(cache), engine=engine)


def placed(backbone: Backbone) -> Backbone:
    """The backbone on this machine's device, in the memory layout that runs fastest here."""
    profile = device_profile()
    return backbone.to(profile.device).use_channels_last(profile.channels_last)


def backbone_for(
    name: str | None,
    modality: str,
    data: Any,
    *,
    pretrained: bool = True,
    weights: str | Path | None = None,
) -> Backbone:
    """Build and place the named backbone (or the default one for ``modality``), checking
    that it reads what ``data`` holds."""
    chosen = name or default_backbone(modality)
    backbone = create_backbone(chosen, pretrained=pretrained, weights=weights)
    if backbone.modality != modality:
        raise IncompatibleError(
            f"{chosen} is a {backbone.modality} model but {data} holds {modality}s; choose a "
            f"{modality} backbone (`transferkit models` lists them)."
        )
    return placed(backbone)
