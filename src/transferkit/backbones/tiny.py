"""Tiny, randomly initialised backbones for tests and smoke runs: ``tiny-cnn`` (images),
``tiny-bert`` (text) and ``tiny-audio`` (recordings). They need no download, build in
milliseconds, and are identical on every build (fixed seed), so their features can be
cached and compared like real ones."""

from __future__ import annotations

import string
from pathlib import Path

import torch
from torch import nn

from transferkit.backbones.audio_cnn import AudioCNN
from transferkit.backbones.audio_frontend import AudioPreprocessing
from transferkit.backbones.base import Backbone, SequentialImageBackbone
from transferkit.backbones.huggingface import HFTextBackbone, build_hf_text
from transferkit.backbones.preprocessing import ImagePreprocessing, TextSettings
from transferkit.backbones.registry import register_backbone
from transferkit.backbones.weights import load_state_dict

_WORDS = (
    "the a an and or but of to in on is was it this that with for as not no very good bad "
    "great awful movie film plot actor story fun boring love hate best worst book kitchen "
    "product works broken cheap quality buy price ant bee cat dog red blue green"
).split()


def _conv(cin: int, cout: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()
    )


@register_backbone(
    "tiny-cnn",
    modality="image",
    description="3-block random CNN, 32 px, 32-d features (for tests)",
    available=lambda: True,
    install="built in",
    for_tests=True,
)
def tiny_cnn(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    with torch.random.fork_rng():
        torch.manual_seed(0 if pretrained else 1)  # "pretrained" = the fixed seed-0 weights
        blocks = [_conv(3, 8), _conv(8, 16), _conv(16, 32)]
        head = nn.Linear(32, 10)
    head.requires_grad_(False)
    prep = ImagePreprocessing(size=32, resize=36, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    backbone = SequentialImageBackbone(
        "tiny-cnn", blocks, 32, prep, source_head=head, source_classes=[f"c{i}" for i in range(10)]
    )
    if weights is not None:
        backbone.load_state_dict(load_state_dict(weights))
    return backbone.eval()


def _tiny_tokenizer() -> object:
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    pieces = specials + chars + ["##" + c for c in chars] + _WORDS
    vocab = {tok: i for i, tok in enumerate(dict.fromkeys(pieces))}
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=64,
    )


@register_backbone(
    "tiny-bert",
    modality="text",
    description="2-layer random BERT, 32-d, character-level vocabulary (for tests)",
    available=lambda: True,
    install="built in",
    for_tests=True,
)
def tiny_bert(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    if files is not None:
        return build_hf_text("", "tiny-bert", pretrained, files, weights)
    from transformers import BertConfig, BertModel

    tokenizer = _tiny_tokenizer()
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    with torch.random.fork_rng():
        torch.manual_seed(0 if pretrained else 1)
        model = BertModel(config, add_pooling_layer=False)
    if weights is not None:
        model.load_state_dict(load_state_dict(weights))
    backbone = HFTextBackbone(model.eval(), tokenizer, TextSettings(max_length=64), "tiny-bert")
    return backbone.eval()


#: a chat template in the form instruction-tuned tokenizers carry (Jinja, over messages)
TINY_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _tiny_chat_tokenizer() -> object:
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordPiece
    from transformers import PreTrainedTokenizerFast

    specials = ["<|pad|>", "<|unk|>", "<|user|>", "<|assistant|>", "<|end|>", "<|system|>"]
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    pieces = specials + chars + ["##" + c for c in chars] + _WORDS + ["positive", "negative"]
    vocab = {tok: i for i, tok in enumerate(dict.fromkeys(pieces))}
    tok = Tokenizer(WordPiece(vocab, unk_token="<|unk|>"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<|unk|>",
        pad_token="<|pad|>",
        eos_token="<|end|>",
        additional_special_tokens=specials[2:],
        model_max_length=128,
    )
    tokenizer.chat_template = TINY_CHAT_TEMPLATE
    return tokenizer


@register_backbone(
    "tiny-llama",
    modality="text",
    description="2-layer random Llama, 32-d, with a chat template (for tests of the "
    "generative-LLM code)",
    available=lambda: True,
    install="built in",
    for_tests=True,
)
def tiny_llama(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    from transferkit.backbones.causal_lm import CausalLMBackbone, PromptSettings, build_causal_lm

    if files is not None:
        return build_causal_lm(Path("."), "tiny-llama", pretrained, files, weights)
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = _tiny_chat_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng():
        torch.manual_seed(0 if pretrained else 1)
        lm = LlamaForCausalLM(config)
    backbone = CausalLMBackbone(lm.eval(), tokenizer, PromptSettings(max_length=48), "tiny-llama")
    if weights is not None:
        backbone.model.load_state_dict(load_state_dict(weights))
    return backbone.eval()


TINY_AUDIO = AudioPreprocessing(
    frontend="log-mel", sample_rate=8000, clip_seconds=2.0, n_fft=200, hop=80, n_mels=16
)


@register_backbone(
    "tiny-audio",
    modality="audio",
    description="2-block random log-mel CNN at 8 kHz, 16-d features (for tests)",
    available=lambda: True,
    install="built in",
    for_tests=True,
)
def tiny_audio(
    pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    with torch.random.fork_rng():
        torch.manual_seed(0 if pretrained else 1)
        backbone = AudioCNN("tiny-audio", (8, 16), TINY_AUDIO)
    if weights is not None:
        backbone.load_state_dict(load_state_dict(weights))
    return backbone.eval()
