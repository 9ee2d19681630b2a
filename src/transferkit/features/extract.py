"""Embedding inputs with a frozen backbone, through the feature cache."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from transferkit.backbones.base import Backbone
from transferkit.data.batches import length_order, make_loader, prefetched
from transferkit.features import onnx_engine
from transferkit.features.cache import FeatureCache, content_key
from transferkit.features.fuse import inference_copy
from transferkit.progress import SILENT, Progress
from transferkit.runtime import device_profile, to_device

#: Where ONNX Runtime's features of a backbone live in the cache, beside PyTorch's.
ONNX_SPACE = "+onnx"


@dataclass
class EmbedStats:
    computed: int = 0
    cached: int = 0
    seconds: float = 0.0
    engines: set[str] = field(default_factory=set)  # what computed the features

    def __iadd__(self, other: EmbedStats) -> EmbedStats:
        self.computed += other.computed
        self.cached += other.cached
        self.seconds += other.seconds
        self.engines |= other.engines
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
    engine: str = "torch",
) -> np.ndarray:
    """Features of every input, ``[len(inputs), num_features]`` float32, in eval mode,
    computed by PyTorch or (``engine="onnx"``) by ONNX Runtime on the exported backbone."""
    if len(inputs) == 0:
        return np.zeros((0, backbone.num_features), dtype=np.float32)
    batch_size = batch_size or infer_batch_size(backbone)
    order = length_order(inputs)
    ordered = [inputs[i] for i in order]
    loader = make_loader(backbone, ordered, None, batch_size=batch_size, workers=workers)
    batches = progress.track(loader, len(loader), description)
    if engine == "onnx":
        # decoding ahead in a thread overlaps ONNX Runtime's work; beside PyTorch's own
        # threads it costs (MobileNetV2, 398 photos, 2 cores: 4.25 s prefetched against
        # 3.59 s in line), so the PyTorch path decodes in line
        batches = prefetched(batches)
    feats = (
        _onnx_pass(backbone, batches)
        if engine == "onnx"
        else _torch_pass(backbone, batches, len(inputs) > 2 * batch_size)
    )
    out = np.empty_like(feats)
    out[order] = feats
    return out


def _torch_pass(backbone: Backbone, batches: Any, fold: bool) -> np.ndarray:
    device = next(backbone.parameters()).device
    fast = inference_copy(backbone) if fold else backbone
    with eval_mode(fast):
        return np.concatenate(
            [fast.forward_features(to_device(b, device)).float().cpu().numpy() for b, _ in batches]
        )


def _onnx_pass(backbone: Backbone, batches: Any) -> np.ndarray:
    path, sess, chunks = onnx_engine.graph_path(backbone.fingerprint()), None, []
    for batch, _ in batches:
        if sess is None:
            if not path.exists():
                with eval_mode(backbone):
                    onnx_engine.export(backbone, _export_sample(backbone, batch), path)
            sess = onnx_engine.session(str(path))
        chunks.append(onnx_engine.run(sess, batch).astype(np.float32, copy=False))
    return np.concatenate(chunks)


def _export_sample(backbone: Backbone, batch: Any) -> Any:
    """A batch to trace the export with; for text, one with padding, so the graph keeps
    the attention mask whatever the first real batch looked like."""
    if backbone.modality != "text":
        return batch
    return backbone.collate([backbone.prepare(t) for t in ("a", "a sentence to pad the other")])


def embed(
    backbone: Backbone,
    inputs: Sequence[Any],
    *,
    cache: FeatureCache | None = None,
    batch_size: int | None = None,
    progress: Progress = SILENT,
    description: str = "Embedding",
    engine: str | None = None,
) -> tuple[np.ndarray, EmbedStats]:
    """Features of ``inputs`` under the backbone's current weights, taking what the cache
    holds and computing (then caching) only the rest. ``engine`` (default: the cache's,
    else ``auto``) says what computes them; ONNX Runtime's features are cached apart from
    PyTorch's, since they agree only to float rounding."""
    start = time.perf_counter()
    requested = engine or (cache.engine if cache is not None else "auto")
    fingerprint = backbone.fingerprint()
    if cache is None or not cache.enabled or not backbone.cacheable:
        used = onnx_engine.chosen(requested, backbone, fingerprint, len(inputs))
        feats = forward_features(
            backbone,
            inputs,
            batch_size=batch_size,
            progress=progress,
            description=description,
            engine=used,
        )
        return feats, EmbedStats(len(inputs), 0, time.perf_counter() - start, {used})
    keys = [content_key(x) for x in inputs]
    used = requested
    if requested == "auto":
        missing = len(set(keys) - set(cache.get(fingerprint + ONNX_SPACE, keys)))
        used = onnx_engine.chosen("auto", backbone, fingerprint, missing)
    used = onnx_engine.chosen(used, backbone, fingerprint, len(keys))
    space = fingerprint + (ONNX_SPACE if used == "onnx" else "")
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
            engine=used,
        )
        new = {keys[i]: computed[j] for j, i in enumerate(todo)}
        cache.put(space, new.items())
        found.update(new)
    feats = np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
    computed_n = len(first_missing)
    stats = EmbedStats(computed_n, len(inputs) - computed_n, time.perf_counter() - start, {used})
    return feats, stats
