"""Where pretrained models come from.

``create_backbone(name)`` builds any registered backbone (``list_backbones()``) or any model
of a generic source (``torchvision:NAME``, ``timm:NAME``, ``hf:ID``, a local folder).
A plug-in is one module of this package (or a third-party module named by a
``transferkit.plugins`` entry point) that decorates its builder with ``@register_backbone``
or ``@register_source``; the registries import this package's modules when first read.
"""

from transferkit.backbones.base import Backbone, SequentialImageBackbone
from transferkit.backbones.preprocessing import (
    ImagePreprocessing,
    Preprocessing,
    TextPreprocessing,
    TextSettings,
)
from transferkit.backbones.registry import (
    BACKBONES,
    SOURCES,
    BackboneEntry,
    create_backbone,
    default_backbone,
    list_backbones,
    rebuild_backbone,
    register_backbone,
    register_source,
)

__all__ = [
    "BACKBONES",
    "SOURCES",
    "Backbone",
    "BackboneEntry",
    "ImagePreprocessing",
    "Preprocessing",
    "SequentialImageBackbone",
    "TextPreprocessing",
    "TextSettings",
    "create_backbone",
    "default_backbone",
    "list_backbones",
    "rebuild_backbone",
    "register_backbone",
    "register_source",
]
