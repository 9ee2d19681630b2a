"""What a model directory records about how its model was made."""

from __future__ import annotations

import datetime as _dt
import platform
from importlib import metadata
from typing import Any

_PACKAGES = (
    "transferkit",
    "torch",
    "torchvision",
    "timm",
    "transformers",
    "accelerate",
    "scikit-learn",
    "numpy",
    "safetensors",
    "peft",
)


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def build_record(
    *,
    classes: list[str],
    backbone: Any,
    strategy: Any,
    data_config: Any,
    data_summary: dict[str, Any],
    seed: int,
    notes: list[str],
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    versions = library_versions()
    return {
        "transferkit_version": versions.get("transferkit", "unknown"),
        "task": "classification",
        "classes": classes,
        "backbone": backbone.describe(),
        "backbone_frozen": bool(strategy.keeps_backbone),
        "channels_last": bool(getattr(backbone, "channels_last", False)),
        "head": {
            "type": "linear",
            "in_features": backbone.num_features,
            "out_features": len(classes),
        },
        "strategy": {
            "name": strategy.name,
            "config": strategy.config.to_dict(),
            "details": details or {},
        },
        "data": {"config": data_config.to_dict(), "summary": data_summary},
        "seed": seed,
        "notes": notes,
        "versions": versions,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
