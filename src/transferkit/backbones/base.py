"""The contract every pretrained backbone meets, whatever library it comes from.

A backbone turns a batch of raw inputs (image files, texts) into one feature vector per
example. It knows its own preprocessing (derived from the weights' configuration, never
retyped), its modality, its feature dimension, and an ordered list of blocks from input
to output so that strategies can freeze a prefix of it.

Its forward pass is staged so that a frozen prefix can be run once and cached:
``forward_features(batch) == finish(run_blocks(start(batch), 0, n))``.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from transferkit.backbones.preprocessing import Preprocessing
from transferkit.errors import IncompatibleError

Modality = Literal["image", "text", "audio", "features"]


class Backbone(nn.Module, ABC):
    """A pretrained feature extractor.

    Attributes:
        source: the name that rebuilds it with ``create_backbone`` ("mobilenet_v2",
            "torchvision:resnet18", "hf:bert-base-uncased", a folder).
        modality: "image", "text" or "audio".
        num_features: length of the vector ``forward_features`` returns.
        preprocessing: how raw inputs become tensors, from the weights' own config.
        source_head: the classifier the weights were trained with (e.g. ImageNet's 1000
            classes), kept aside for LEEP and forgetting checks; ``None`` if it had none.
        source_classes: names of the source head's classes, when known.
        staged: ``run_block`` runs each block on its own, exactly as the plain forward pass
            does, so that a frozen prefix's outputs can be computed once and kept. When
            False the blocks only group the weights (for freezing, layer-wise learning
            rates, unfreezing) and the backbone runs whole.
        exportable: the forward pass is PyTorch operations, so ``torch.onnx.export`` can
            trace it; False for a backbone that already runs in another engine.
        cacheable: its features are worth keeping in the feature cache (False for one
            that passes its inputs through).
    """

    source: str
    modality: Modality
    num_features: int
    preprocessing: Preprocessing
    source_head: nn.Module | None
    source_classes: list[str] | None
    channels_last: bool
    staged: bool = True
    exportable: bool = True
    cacheable: bool = True

    def __init__(self) -> None:
        super().__init__()
        # Instance attributes, not class defaults: a class attribute would shadow a
        # submodule that nn.Module keeps in ``_modules``.
        self.source_head = None
        self.source_classes = None
        self.channels_last = False

    # -- staged forward ---------------------------------------------------------------
    @abstractmethod
    def blocks(self) -> Sequence[nn.Module]:
        """The backbone's blocks in the order the data flows through them."""

    def start(self, batch: Any) -> Any:
        """Turn a collated batch into the state the first block consumes."""
        return batch

    def run_block(self, index: int, state: Any) -> Any:
        return self.blocks()[index](state)

    @abstractmethod
    def finish(self, state: Any) -> torch.Tensor:
        """Pool the last block's state into ``[batch, num_features]``."""

    def run_blocks(self, state: Any, first: int, stop: int) -> Any:
        for i in range(first, stop):
            state = self.run_block(i, state)
        return state

    def forward_features(self, batch: Any) -> torch.Tensor:
        return self.finish(self.run_blocks(self.start(batch), 0, len(self.blocks())))

    def _layout(self, batch: torch.Tensor) -> torch.Tensor:
        """An image batch in the memory layout the weights use (see ``use_channels_last``)."""
        return batch.contiguous(memory_format=torch.channels_last) if self.channels_last else batch

    def use_checkpointing(self) -> None:
        """Recompute activations in the backward pass instead of keeping them, where the
        architecture supports it; otherwise one sentence saying it does not."""
        raise IncompatibleError(
            f"{self.source} cannot recompute its activations in the backward pass; drop "
            "checkpointing."
        )

    def describe_task(self, classes: list[str]) -> None:
        """Learn the task's classes before any example is embedded: a prompted language
        model names them in its prompt (``causal_lm``); other backbones ignore them."""

    def input_embeddings(self) -> nn.Module | None:
        """The token embedding table of a text backbone (``None`` for images)."""
        return None

    def split_state(self, state: Any) -> list[Any]:
        """A batched intermediate state as one state per example (to cache them)."""
        return list(state.unbind(0))

    def merge_states(self, states: list[Any]) -> Any:
        """The inverse of ``split_state`` for any selection of examples."""
        return torch.stack(states)

    def forward(self, batch: Any) -> torch.Tensor:
        return self.forward_features(batch)

    # -- inputs -----------------------------------------------------------------------
    def prepare(self, raw: Any, augment: bool = False) -> Any:
        """One raw input (a path, a text) to what ``collate`` stacks."""
        return self.preprocessing.prepare(raw, augment)

    def collate(self, items: list[Any]) -> Any:
        return self.preprocessing.collate(items)

    # -- identity and persistence -----------------------------------------------------
    def fingerprint(self) -> str:
        """A digest of the weights and preprocessing: equal iff the features are equal.

        Hashing every weight costs about 3 ms a megabyte (250 ms for MiniLM-L6), so the
        digest is kept until a tensor changes: each tensor's storage and version counter
        (which every in-place update, an optimiser step or a ``load_state_dict``, bumps)
        are compared instead, at microseconds a call."""
        state = self.state_dict()
        stamp = (
            self.preprocessing.key(),
            tuple((n, t.data_ptr(), t._version) for n, t in state.items()),
        )
        kept = self.__dict__.get("_fingerprint")
        if kept is not None and kept[0] == stamp:
            return kept[1]
        digest = self._digest(state)
        self.__dict__["_fingerprint"] = (stamp, digest)
        return digest

    def _digest(self, state: dict[str, torch.Tensor]) -> str:
        h = hashlib.blake2b(digest_size=16)
        h.update(type(self).__name__.encode())
        h.update(self.preprocessing.key().encode())
        for name, tensor in sorted(state.items()):
            h.update(name.encode())
            t = tensor.detach().cpu().contiguous()
            h.update(str(t.dtype).encode() + str(tuple(t.shape)).encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
        return h.hexdigest()

    def save_files(self, directory: Path) -> None:
        """Write what rebuilding the architecture needs besides the weights (configs,
        tokenizer); most image backbones need nothing."""

    def use_channels_last(self, enabled: bool = True) -> Backbone:
        """Run convolutions in NHWC layout, several times faster on CPUs at small batches;
        results are equal up to float rounding. A no-op for non-convolutional backbones."""
        if self.modality == "image":
            self.channels_last = enabled
            self.to(memory_format=torch.channels_last if enabled else torch.contiguous_format)
        return self

    def describe(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "modality": self.modality,
            "num_features": self.num_features,
            "num_blocks": len(self.blocks()),
            "num_parameters": sum(p.numel() for p in self.parameters()),
            "preprocessing": self.preprocessing.to_dict(),
        }


class SequentialImageBackbone(Backbone):
    """An image backbone whose blocks run one after another on a feature map, followed by
    global average pooling (MobileNet, EfficientNet, ResNet and most CNNs)."""

    modality: Modality = "image"

    def __init__(
        self,
        source: str,
        block_list: Sequence[nn.Module],
        num_features: int,
        preprocessing: Preprocessing,
        pool: nn.Module | None = None,
        source_head: nn.Module | None = None,
        source_classes: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.body = nn.ModuleList(block_list)
        self.pool = (
            pool if pool is not None else nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1))
        )
        self.num_features = num_features
        self.preprocessing = preprocessing
        self.source_head = source_head
        self.source_classes = source_classes

    def blocks(self) -> Sequence[nn.Module]:
        return list(self.body)

    def start(self, batch: torch.Tensor) -> torch.Tensor:
        return self._layout(batch)

    def finish(self, state: torch.Tensor) -> torch.Tensor:
        return self.pool(state)

    def merge_states(self, states: list[Any]) -> torch.Tensor:
        return self._layout(torch.stack(states))
