"""How raw inputs become tensors, as the pretrained weights expect.

The settings come from the weights' own configuration (torchvision's weight transforms,
timm's ``pretrained_cfg``, a sentence-transformers folder) and are recorded in every saved
model, so preprocessing is derived once and never retyped.
"""

from __future__ import annotations

import hashlib
import json
import random
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image, UnidentifiedImageError

from transferkit.errors import DataError


class Preprocessing(ABC):
    modality: str

    @abstractmethod
    def prepare(self, raw: Any, augment: bool = False) -> Any:
        """One raw input to a collatable item; ``augment`` applies training augmentation."""

    @abstractmethod
    def collate(self, items: list[Any]) -> Any: ...

    @abstractmethod
    def to_dict(self) -> dict[str, Any]: ...

    def key(self) -> str:
        """A stable string that changes whenever the tensors it produces would change."""
        return json.dumps(self.to_dict(), sort_keys=True)


_INTERPOLATIONS = ("bilinear", "bicubic", "nearest")
RESAMPLERS = ("pil", "tensor")


@dataclass(frozen=True)
class ImagePreprocessing(Preprocessing):
    """Resize the shorter side to ``resize``, centre-crop ``size``, scale to [0, 1], then
    normalise with ``mean`` and ``std``; training augmentation is a random resized crop and
    a horizontal flip."""

    size: int = 224
    resize: int = 256
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    interpolation: str = "bilinear"
    modality: str = "image"
    #: how evaluation resizes: "pil" (Pillow, on the decoded image; what ``export.reader``
    #: reproduces exactly) or "tensor" (torchvision on the tensor; models saved before
    #: 0.1's export keep it, so they predict what their run reported)
    resampler: str = "pil"

    def __post_init__(self) -> None:
        if self.interpolation not in _INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {_INTERPOLATIONS}")
        if self.resampler not in RESAMPLERS:
            raise ValueError(f"resampler must be one of {RESAMPLERS}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImagePreprocessing:
        """From a model directory's record; one without ``resampler`` predates it."""
        d = {"resampler": "tensor", **{k: v for k, v in d.items() if k != "modality"}}
        d["mean"], d["std"] = tuple(d["mean"]), tuple(d["std"])
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "mean": list(self.mean), "std": list(self.std)}

    def _transforms(self, augment: bool) -> Any:
        from torchvision.transforms import v2 as T

        interp = getattr(T.InterpolationMode, self.interpolation.upper())
        scale = [T.ToDtype(torch.float32, scale=True), T.Normalize(list(self.mean), list(self.std))]
        if augment:
            geometry = [
                T.RandomResizedCrop(self.size, scale=(0.35, 1.0), interpolation=interp),
                T.RandomHorizontalFlip(),
            ]
            return T.Compose([T.ToImage(), *geometry, *scale])
        geometry = [T.Resize(self.resize, interpolation=interp), T.CenterCrop(self.size)]
        if self.resampler == "tensor":
            return T.Compose([T.ToImage(), *geometry, *scale])
        # Pillow resizes and crops the decoded image (torchvision hands a PIL image to it),
        # so a reader with Pillow and numpy alone (``exported.reader``) computes the same
        # pixels; resizing the tensor differs by one grey level here and there, which moved
        # MobileNetV2's ImageNet probabilities by up to 4e-3.
        return T.Compose([*geometry, T.ToImage(), *scale])

    def prepare(self, raw: Any, augment: bool = False) -> torch.Tensor:
        image = raw if isinstance(raw, Image.Image) else load_image(raw)
        cache = self.__dict__.setdefault("_tf", {})
        if augment not in cache:
            cache[augment] = self._transforms(augment)
        return cache[augment](image)

    def collate(self, items: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(items)

    def __getstate__(self) -> dict[str, Any]:  # transforms are rebuilt in worker processes
        return {k: v for k, v in self.__dict__.items() if k != "_tf"}


def load_image(path: str | Path) -> Image.Image:
    """Decode an image file to RGB; a file that cannot be decoded is a ``DataError``."""
    try:
        with Image.open(path) as img:
            img.load()
            return img.convert("RGB")
    except Image.DecompressionBombError:
        raise DataError(
            f"Cannot decode image {path}: it claims more pixels than any real photo (a "
            f"decompression bomb, over {2 * (Image.MAX_IMAGE_PIXELS or 0):,}); remove it."
        ) from None
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"Cannot decode image {path} ({exc}); remove or replace the file.") from exc


@dataclass(frozen=True)
class TextSettings:
    max_length: int = 256
    pooling: str = "mean"  # mean | cls | max
    normalize: bool = False
    word_dropout: float = 0.1  # training augmentation: drop each word with this probability


class TextPreprocessing(Preprocessing):
    """Tokenise with the model's own tokenizer, padded per batch and truncated to
    ``max_length``; training augmentation drops random words."""

    modality = "text"

    def __init__(self, tokenizer: Any, settings: TextSettings) -> None:
        self.tokenizer = tokenizer
        self.settings = settings

    @property
    def max_length(self) -> int:
        return self.settings.max_length

    @property
    def pooling(self) -> str:
        return self.settings.pooling

    def prepare(self, raw: Any, augment: bool = False) -> str:
        text = str(raw)
        p = self.settings.word_dropout
        if augment and p > 0:
            words = text.split()
            kept = [w for w in words if random.random() >= p]
            text = " ".join(kept or words)
        return text

    def collate(self, items: list[str]) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(
            items,
            padding=True,
            truncation=True,
            max_length=self.settings.max_length,
            return_tensors="pt",
        )
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    def vocab_digest(self) -> str:
        cached = getattr(self, "_vocab_digest", None)
        if cached is None:
            vocab = sorted(self.tokenizer.get_vocab().items())
            cached = hashlib.blake2b(json.dumps(vocab).encode(), digest_size=8).hexdigest()
            self._vocab_digest = cached
        return cached

    def to_dict(self) -> dict[str, Any]:
        return {
            "modality": "text",
            **asdict(self.settings),
            "tokenizer": type(self.tokenizer).__name__,
            "vocab_size": len(self.tokenizer),
        }

    def key(self) -> str:
        d = self.to_dict()
        d.pop("word_dropout")  # augmentation never reaches cached (evaluation) features
        return json.dumps({**d, "vocab": self.vocab_digest()}, sort_keys=True)
