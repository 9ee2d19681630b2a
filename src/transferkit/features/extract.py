"""Embedding inputs with a frozen backbone, through the feature cache."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from transferkit.backbones.base import Backbone
from transferkit.data.batches import length_order, make_loader
from transferkit.features.cache import FeatureCache, content_key
from transferkit.features.fuse import inference_copy
from transferkit.progress import SILENT, Progress
from transferkit.runtime import device_profile, to_device


@dataclass
class EmbedStats:
    computed: int = 0
    cached: int = 0
    seconds: float = 0.0

    def __iadd__(self, other: EmbedStats) -> EmbedStats:
        self.computed += other.computed
        self.cached += other.cached
        self.seconds += other.seconds
        return self


class eval_mode:
    """Run a module in eval mode and restore its previous mode afterwards: features taken
    in training mode would depend on which examples share a batch (batch norm)."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module

    def __enter__(self) -> torch.nn.Module:
        self.modes = [(m, m.training) for m in self.module.modules()]
        self.module.eval()
        return self.module

    def __exit__(self, *exc: object) -> None:
        for m, mode in self.modes:
            m.training = mode


def infer_batch_size(backbone: Backbone) -> int:
    profile = device_profile(next(backbone.parameters()).device)
    return profile.image_infer_batch if backbone.modality == "image" else profile.text_infer_batch


@torch.inference_mode()
def forward_features(
    backbone: Backbone,
    inputs: Sequence[Any],
    *,
    batch_size: int | None = None,
    progress: Progress = SILENT,
    description: str = "Embedding",
    workers: int = 0,
) -> np.ndarray:
    """Features of every input, ``[len(inputs), num_features]`` float32, in eval mode."""
    if len(inputs) == 0:
        return np.zeros((0, backbone.num_features), dtype=np.float32)
    batch_size = batch_size or infer_batch_size(backbone)
    order = length_order(inputs)
    ordered = [inputs[i] for i in order]
    loader = make_loader(backbone, ordered, None, batch_size=batch_size, workers=workers)
    device = next(backbone.parameters()).device
    chunks = []
    fast = inference_copy(backbone) if len(inputs) > 2 * batch_size else backbone
    with eval_mode(fast):
        for batch, _ in progress.track(loader, len(loader), description):
            batch = to_device(batch, device)
            chunks.append(fast.forward_features(batch).float().cpu().numpy())
    feats = np.concatenate(chunks)
    out = np.empty_like(feats)
    out[order] = feats
    return out


def embed(
    backbone: Backbone,
    inputs: Sequence[Any],
    *,
    cache: FeatureCache | None = None,
    batch_size: int | None = None,
    progress: Progress = SILENT,
    description: str = "Embedding",
) -> tuple[np.ndarray, EmbedStats]:
    """Features of ``inputs`` under the backbone's current weights, taking what the cache
    holds and computing (then caching) only the rest."""
    start = time.perf_counter()
    if cache is None or not cache.enabled:
        feats = forward_features(
            backbone, inputs, batch_size=batch_size, progress=progress, description=description
        )
        return feats, EmbedStats(len(inputs), 0, time.perf_counter() - start)
    keys = [content_key(x) for x in inputs]
    space = backbone.fingerprint()
    found = cache.get(space, keys)
    first_missing: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k not in found and k not in first_missing:
            first_missing[k] = i
    if first_missing:
        todo = list(first_missing.values())
        computed = forward_features(
            backbone,
            [inputs[i] for i in todo],
            batch_size=batch_size,
            progress=progress,
            description=description,
        )
        new = {keys[i]: computed[j] for j, i in enumerate(todo)}
        cache.put(space, new.items())
        found.update(new)
    feats = np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
    stats = EmbedStats(
        len(first_missing), len(inputs) - len(first_missing), time.perf_counter() - start
    )
    return feats, stats
