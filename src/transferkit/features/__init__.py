"""Embeddings of frozen backbones, computed once and cached on disk."""

from transferkit.features import onnx_engine
from transferkit.features.cache import FeatureCache, content_key
from transferkit.features.extract import EmbedStats, embed, eval_mode, forward_features

__all__ = [
    "EmbedStats",
    "FeatureCache",
    "content_key",
    "embed",
    "eval_mode",
    "forward_features",
    "onnx_engine",
]
