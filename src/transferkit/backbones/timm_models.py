"""Any timm model as ``timm:NAME`` (``timm:convnext_tiny``, ``timm:vit_small_patch16_224``).

timm models answer the same questions whatever their family (``forward_features``,
``forward_head(pre_logits=True)``, ``get_classifier``, a ``pretrained_cfg`` with input size,
mean and std), which this wrapper relies on; families with a known layout are also cut
into blocks so that a prefix of them can be frozen.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import nn

from transferkit.backbones.base import Backbone
from transferkit.backbones.preprocessing import ImagePreprocessing
from transferkit.backbones.registry import register_source
from transferkit.backbones.weights import host_reachable, load_state_dict
from transferkit.errors import UnknownNameError, WeightsUnavailableError


class _ForwardFeatures(nn.Module):
    """A whole ``forward_features`` as one block, for families of unknown layout."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        object.__setattr__(self, "_model", model)  # not registered twice

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._model.forward_features(x)


class TimmBackbone(Backbone):
    modality = "image"

    def __init__(self, model: nn.Module, source: str) -> None:
        super().__init__()
        self.source = source
        self.model = model
        self.num_features = int(getattr(model, "head_hidden_size", None) or model.num_features)
        self.preprocessing = preprocessing_from_timm(model)
        head = model.get_classifier()
        if isinstance(head, nn.Linear) and head.out_features > 0:
            for p in head.parameters():
                p.requires_grad_(False)
            # already registered inside self.model: keep it out of the module tree
            object.__setattr__(self, "source_head", head)
            self.source_classes = _imagenet_classes(head.out_features)

    def blocks(self) -> list[nn.Module]:
        # built on each call: adapters (LoRA) may replace the layers the blocks wrap
        return _timm_blocks(self.model)

    def start(self, batch: torch.Tensor) -> torch.Tensor:
        return self._layout(batch)

    def finish(self, state: torch.Tensor) -> torch.Tensor:
        return self.model.forward_head(state, pre_logits=True)


def _imagenet_classes(n: int) -> list[str] | None:
    if n != 1000:
        return None
    try:
        from timm.data import ImageNetInfo

        return list(ImageNetInfo().label_descriptions())
    except Exception:  # class names are a nicety for reports, never required
        return None


def _timm_blocks(model: nn.Module) -> list[nn.Module]:
    if all(hasattr(model, a) for a in ("conv_stem", "bn1", "blocks", "conv_head", "bn2")):
        return [
            nn.Sequential(model.conv_stem, model.bn1),
            *model.blocks,
            nn.Sequential(model.conv_head, model.bn2),
        ]
    if hasattr(model, "stem") and hasattr(model, "stages"):
        tail = [model.norm_pre] if isinstance(getattr(model, "norm_pre", None), nn.Module) else []
        return [model.stem, *model.stages, *tail]
    return [_ForwardFeatures(model)]


def preprocessing_from_timm(model: nn.Module) -> ImagePreprocessing:
    from timm.data import resolve_data_config

    cfg = resolve_data_config({}, model=model)
    size = int(cfg["input_size"][-1])
    return ImagePreprocessing(
        size=size,
        resize=math.floor(size / cfg["crop_pct"]),
        mean=tuple(float(m) for m in cfg["mean"]),
        std=tuple(float(s) for s in cfg["std"]),
        interpolation=cfg["interpolation"] if cfg["interpolation"] != "random" else "bilinear",
    )


def from_timm_model(model: nn.Module, source: str) -> Backbone:
    model.eval()
    return TimmBackbone(model, source)


@register_source(
    "timm",
    description="any timm model, with its pretrained weights from the Hugging Face hub cache",
    example="timm:convnext_tiny",
)
def timm_backbone(
    name: str, pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    try:
        import timm
    except ImportError:
        raise UnknownNameError(f"timm:{name} needs timm; run `pip install timm`.") from None
    if not timm.is_model(name):
        raise UnknownNameError(
            f'timm has no model {name!r}; `python -c "import timm; '
            f"print(timm.list_models('{name}*'))\"` lists similar ones."
        )
    if not pretrained or weights is not None:
        model = timm.create_model(name, pretrained=False)
        if weights is not None:
            model.load_state_dict(load_state_dict(weights))
        return from_timm_model(model, f"timm:{name}")
    return from_timm_model(_pretrained_timm(name), f"timm:{name}")


def _pretrained_timm(name: str) -> Any:
    import timm
    from huggingface_hub import hf_hub_download

    cfg = timm.models.get_pretrained_cfg(name)
    hub_id = getattr(cfg, "hf_hub_id", None) if cfg else None
    if hub_id:
        for filename in ("model.safetensors", "pytorch_model.bin"):
            try:
                local = hf_hub_download(hub_id, filename, local_files_only=True)
            except Exception:
                continue
            return timm.create_model(name, pretrained=True, pretrained_cfg_overlay={"file": local})
    if host_reachable("huggingface.co"):
        return timm.create_model(name, pretrained=True)
    raise WeightsUnavailableError(
        f"The pretrained weights of timm:{name} ({hub_id or 'no hub id'}) are not in the "
        "Hugging Face cache and the hub cannot be reached; download them on a connected "
        "machine into the cache, or pass a local weights file with --weights."
    )
