"""A causal LM with LoRA adapters that writes responses, and its model directory.

Layout::

    MODEL_DIR/
      generator.json       base model (source and weights fingerprint), the adapters'
                           rank, scale and layers, the instruction and lengths, the
                           adapter file's SHA-256, library versions
      adapter.safetensors  the adapters' weights alone (2.4 MB for SmolLM2 at rank 8,
                           against 540 MB for the whole model)
      metrics.json         what the run measured (written by the workflow)
      merged/              with ``merge``: the adapters folded into the weights, a plain
                           transformers model folder (``-m MODEL_DIR/merged`` reads it)

Loading reads the directory as data (JSON and safetensors; nothing unpickled, no code
run) and rebuilds the base from its recorded source, which must be a registered backbone
or an ``hf:`` id in the local cache; a base given by path must be named again by the
caller (``base=``), so a directory can never make the loader read a path of its choosing.
Either way the base's fingerprint must equal the recorded one: adapters on another base
would load without error and write nonsense.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from transferkit.backbones.causal_lm import CausalLMBackbone
from transferkit.errors import DataError, ModelDirError
from transferkit.generation.config import TuneConfig
from transferkit.generation.tuning import chat_prefix
from transferkit.models.artifact import file_digest, write_atomically, write_json

FORMAT = "transferkit-generator"
VERSION = 1
RECORD = "generator.json"
ADAPTER = "adapter.safetensors"
MERGED = "merged"


@dataclass
class GeneratorRecord:
    base: str
    base_fingerprint: str
    rank: int
    alpha: float
    targets: list[str]
    instruction: str | None
    max_length: int
    max_new_tokens: int
    adapter_sha256: str = ""
    versions: dict[str, str] | None = None

    @classmethod
    def from_dict(cls, raw: Any, where: str) -> GeneratorRecord:
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ModelDirError(f"{where} is not a transferkit generator record.")
        if raw.get("version") != VERSION:
            raise ModelDirError(
                f"{where} has format version {raw.get('version')!r}; this transferkit reads "
                f"version {VERSION}: re-run the fit."
            )
        kinds = {
            "base": str, "base_fingerprint": str, "rank": int, "alpha": (int, float),
            "targets": list, "max_length": int, "max_new_tokens": int, "adapter_sha256": str,
        }  # fmt: skip
        for key, kind in kinds.items():
            if not isinstance(raw.get(key), kind) or isinstance(raw.get(key), bool):
                raise ModelDirError(
                    f"{where} is damaged or was not written by transferkit: {key!r} is "
                    f"{raw.get(key)!r}; re-run the fit that made it."
                )
        if not all(isinstance(t, str) for t in raw["targets"]):
            raise ModelDirError(f"{where} is damaged: its adapter layers are not names.")
        instruction = raw.get("instruction")
        if instruction is not None and not isinstance(instruction, str):
            raise ModelDirError(f"{where} is damaged: its instruction is not text.")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})


class Generator:
    """Writes a response to each prompt: greedy decoding in the chat format the
    adapters were trained in (``backbone`` holds them, injected in place)."""

    def __init__(
        self, backbone: CausalLMBackbone, record: GeneratorRecord, lora: Any = None
    ) -> None:
        self.backbone = backbone
        self.record = record
        self._lora = lora

    def attach_adapters(self, seed: int) -> None:
        r = self.record
        self._lora = add_adapters(self.backbone, r.rank, r.alpha, r.targets, seed)

    # -- using it --------------------------------------------------------------------------
    def prefix(self, prompt: str, examples: tuple[tuple[str, str], ...] = ()) -> str:
        r = self.record
        return chat_prefix(self.backbone, prompt, r.instruction, r.max_length, examples)

    def generate(
        self,
        prompts: list[str],
        max_new_tokens: int | None = None,
        examples: tuple[tuple[str, str], ...] = (),
    ) -> list[str]:
        """The greedy response to each prompt (``examples``: worked pairs shown first)."""
        texts = [self.prefix(str(p), examples) for p in prompts]
        return self.backbone.continue_texts(texts, max_new_tokens or self.record.max_new_tokens)

    # -- saving ------------------------------------------------------------------------------
    def adapter_state(self) -> dict[str, torch.Tensor]:
        return {
            n: p.detach().contiguous() for n, p in self.backbone.named_parameters() if "lora_" in n
        }

    def save(
        self, out: str | Path, overwrite: bool = False, metrics: dict | None = None,
        merge: bool = False,
    ) -> Path:  # fmt: skip
        """Write the model directory atomically (see the module's docstring)."""
        from safetensors.torch import save_file

        from transferkit.models.record import library_versions

        def fill(tmp: Path) -> None:
            save_file(self.adapter_state(), str(tmp / ADAPTER))
            record = asdict(self.record)
            record.update(adapter_sha256=file_digest(tmp / ADAPTER), versions=library_versions())
            write_json(tmp / RECORD, {"format": FORMAT, "version": VERSION, **record})
            if metrics is not None:
                write_json(tmp / "metrics.json", metrics)
            if merge:
                self.save_merged(tmp / MERGED)

        return write_atomically(Path(out), fill, overwrite)

    def save_merged(self, folder: Path) -> None:
        """The adapters folded into a copy of the weights, saved as a plain transformers
        causal LM folder (safetensors, with the tokenizer)."""
        import copy

        from transformers import AutoModelForCausalLM

        merged = copy.deepcopy(self._lora).merge_and_unload() if self._lora is not None else None
        decoder = (merged if merged is not None else self.backbone).model
        config = copy.deepcopy(self.backbone.config)
        config.__dict__.pop("quantization_config", None)
        lm = AutoModelForCausalLM.from_config(config, trust_remote_code=False)
        setattr(lm, lm.base_model_prefix, decoder)
        head = lm.get_output_embeddings()
        if getattr(config, "tie_word_embeddings", False):
            lm.tie_weights()
        elif head is not None:
            head.weight = torch.nn.Parameter(self.backbone.output_rows().detach().clone())
        lm.save_pretrained(folder, safe_serialization=True)
        self.backbone.preprocessing.tokenizer.save_pretrained(folder)

    # -- loading -----------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: str | Path, base: str | None = None) -> Generator:
        """A generator directory written by ``save``; ``base`` names the base model when it
        was given by path (the directory's own record is never followed to a path)."""
        from safetensors.torch import load_file

        from transferkit.backbones import create_backbone

        directory = Path(directory).expanduser()
        path = directory / RECORD
        if not path.is_file() or not (directory / ADAPTER).is_file():
            raise ModelDirError(
                f"{directory} is not a transferkit generator (generator.json or "
                "adapter.safetensors is missing); give the --out folder of a fit --task generate."
            )
        try:
            record = GeneratorRecord.from_dict(json.loads(path.read_text()), str(path))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ModelDirError(f"{path} is not valid JSON; the directory is damaged.") from None
        if file_digest(directory / ADAPTER) != record.adapter_sha256:
            raise ModelDirError(
                f"{directory / ADAPTER} is damaged or was changed after it was saved (its "
                "SHA-256 is not the one recorded); re-run the fit, or copy the directory again."
            )
        source = base or record.base
        if base is None and not _named(record.base):
            raise ModelDirError(
                f"{directory} adapts a base model given by path ({record.base}); name it "
                "again to load (base=PATH, or --base PATH), since a model directory never "
                "makes the loader read a path of its choosing."
            )
        backbone = create_backbone(source)
        if not isinstance(backbone, CausalLMBackbone):
            raise ModelDirError(f"{source} is not a causal language model; give the base.")
        if backbone.fingerprint() != record.base_fingerprint:
            raise ModelDirError(
                f"{source} is not the base model these adapters were trained on (its weights' "
                "fingerprint differs from the recorded one); give the same base model."
            )
        lora = add_adapters(backbone, record.rank, record.alpha, record.targets, seed=0)
        state = load_file(str(directory / ADAPTER))
        expected = {n for n, p in backbone.named_parameters() if "lora_" in n}
        if set(state) != expected:
            raise ModelDirError(
                f"{directory / ADAPTER} does not hold the adapters generator.json describes; "
                "the directory is damaged: re-run the fit."
            )
        with torch.no_grad():
            for name, p in backbone.named_parameters():
                if name in state:
                    p.copy_(state[name])
        backbone.eval()
        return cls(backbone, record, lora)


def _named(source: str) -> bool:
    """A registered backbone or an ``hf:`` id: installed models, not paths."""
    from transferkit.backbones.registry import BACKBONES

    return source in BACKBONES or source.startswith("hf:")


def add_adapters(
    backbone: CausalLMBackbone, rank: int, alpha: float, targets: list[str], seed: int
) -> Any:
    """LoRA adapters (PEFT) on ``targets``, injected in place; every other weight frozen."""
    from transferkit.strategies.lora import LoraConfig, inject_lora

    torch.manual_seed(seed)
    return inject_lora(backbone, LoraConfig(rank=rank, alpha=alpha), targets)


def base_generator(backbone: CausalLMBackbone, cfg: TuneConfig) -> Generator:
    """``backbone`` as pretrained, prompted as the adapters will be trained (the zero- and
    k-shot baselines); ``attach_adapters`` then adds fresh adapters on its attention's
    query and value projections, which start as the identity (LoRA's B is zero)."""
    from transferkit.strategies.lora import lora_targets

    if not isinstance(backbone, CausalLMBackbone):
        raise DataError(
            f"{backbone.source} is not a generative language model; --task generate needs "
            "one, e.g. -m smollm2-135m-instruct."
        )
    record = GeneratorRecord(
        base=backbone.source,
        base_fingerprint=backbone.fingerprint(),
        rank=cfg.rank,
        alpha=cfg.alpha,
        targets=lora_targets(backbone, "attention"),
        instruction=cfg.instruction,
        max_length=cfg.max_length,
        max_new_tokens=cfg.max_new_tokens,
    )
    return Generator(backbone, record)
