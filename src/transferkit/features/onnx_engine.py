"""Frozen features through ONNX Runtime: the backbone's own ``forward_features``, exported
once per set of weights and run by an engine faster than PyTorch's eager CPU kernels.

Measured on this project's 2-core machine (batches of 4 images, of 32 sentences): ONNX
Runtime ran MobileNetV2 about 3x faster than PyTorch in channels-last layout, with
features within 5e-6 of PyTorch's (``benchmarks/onnx_engine.py`` has the figures). The
exported graph is kept in the cache folder under the backbone's fingerprint, so a backbone
is exported once, ever; exporting costs a few seconds, so ``engine="auto"`` uses ONNX only
when there are enough inputs to repay it, or when the graph already exists.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from transferkit.backbones.base import Backbone
from transferkit.errors import ConfigError
from transferkit.runtime import cache_dir

ENGINES = ("auto", "torch", "onnx")
#: Below this many inputs to compute, ``auto`` does not export a backbone that has no
#: graph yet (an export costs about as much as running 200 images through PyTorch).
EXPORT_WORTH = 200


def onnx_ready() -> bool:
    """Whether both the exporter's ``onnx`` and ``onnxruntime`` are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))


class _Images(nn.Module):
    def __init__(self, backbone: Backbone) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.backbone.forward_features(pixels)


class _Texts(nn.Module):
    def __init__(self, backbone: Backbone) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.backbone.forward_features(
            {"input_ids": input_ids, "attention_mask": attention_mask}
        )


def graph_path(fingerprint: str) -> Path:
    return cache_dir() / "onnx" / f"{fingerprint}.onnx"


def export(backbone: Backbone, sample: Any, path: Path) -> None:
    """Write the backbone's ``forward_features`` as an ONNX graph with a dynamic batch (and,
    for text, sequence) axis; written under a temporary name, then renamed, so a killed
    export never leaves a graph that looks complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".partial-{id(sample)}")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on constant branches
        if backbone.modality == "text":
            module: nn.Module = _Texts(backbone).eval()
            args: tuple[Any, ...] = (sample["input_ids"], sample["attention_mask"])
            names, axes = ["input_ids", "attention_mask"], {0: "batch", 1: "length"}
        else:
            module, args, names, axes = (
                _Images(backbone).eval(),
                (sample,),
                ["pixels"],
                {0: "batch"},
            )
        torch.onnx.export(
            module,
            args,
            str(tmp),
            input_names=names,
            output_names=["features"],
            dynamic_axes={**{n: axes for n in names}, "features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    tmp.replace(path)


@functools.lru_cache(maxsize=8)
def session(path: str) -> Any:
    """An ONNX Runtime session on the graph, with as many threads as torch uses."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # no spinning between runs: the threads would burn the cores that decode the next batch
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def run(sess: Any, batch: Any) -> np.ndarray:
    """Features of one collated batch."""
    if isinstance(batch, dict):
        feed = {k: batch[k].cpu().numpy() for k in ("input_ids", "attention_mask")}
    else:
        feed = {"pixels": batch.contiguous().cpu().numpy()}
    return sess.run(None, feed)[0]


def chosen(engine: str, backbone: Backbone, fingerprint: str, todo: int) -> str:
    """The engine that runs ``todo`` inputs: ``onnx`` only for a torch backbone on the CPU
    with ONNX installed, and under ``auto`` only when exporting pays."""
    if engine not in ENGINES:
        raise ConfigError(f"Unknown engine {engine!r}; use one of {', '.join(ENGINES)}.")
    if engine == "torch" or backbone.modality not in ("image", "text") or not backbone.exportable:
        return "torch"  # (a backbone that is an ONNX graph already runs in ONNX Runtime)
    if engine == "onnx" and not onnx_ready():
        raise ConfigError(
            "The onnx engine needs onnx and onnxruntime; run `pip install onnx onnxruntime`."
        )
    usable = onnx_ready() and next(backbone.parameters()).device.type == "cpu"
    if engine == "onnx":
        return "onnx" if usable else "torch"
    exists = graph_path(fingerprint).exists()
    return "onnx" if usable and (exists or todo >= EXPORT_WORTH) else "torch"
