"""Where pretrained models come from.

``create_backbone(name)`` builds any registered backbone (``list_backbones()``) or any model
of a generic source (``torchvision:NAME``, ``timm:NAME``, ``hf:ID``, a local folder).
A plug-in is one module that decorates its builder with ``@register_backbone``.
"""

from transferkit.backbones import (  # noqa: F401 - importing registers the backbones
    efficientnet_lite,
    huggingface,
    onnx,
    timm_models,
    tiny,
    torchvision_models,
)
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
    backbone_status,
    create_backbone,
    list_backbones,
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
    "backbone_status",
    "create_backbone",
    "list_backbones",
    "register_backbone",
    "register_source",
]
