"""Supervised fine-tuning of a causal LM on prompt and response pairs, with LoRA.

Each pair becomes the conversation the tokenizer's chat template writes: the user's turn
(the instruction, then the prompt clipped to ``max_length`` tokens) and the assistant's
(the response and its end-of-turn token). The loss is the cross-entropy of the response
tokens only: the model is taught to answer, not to repeat prompts. Only the output rows
of those tokens are computed (a few per pair, not the whole vocabulary at every
position).

Batches are **bucketed by length**: the shuffled pairs are cut into pools of eight
batches, each pool sorted by length and cut into batches, and the batches shuffled, so a
batch pads to lengths close to its own (padding is wasted work on a CPU; packing several
pairs into one sequence would need a mask across them, which this loop does not build).
After each epoch the validation loss decides: the adapters of the lowest one are kept,
and ``patience`` epochs without a lower one stop training.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from transferkit.backbones.causal_lm import CausalLMBackbone
from transferkit.generation.config import TuneConfig
from transferkit.generation.pairs import Pairs

IGNORE = -100


def chat_prefix(
    backbone: CausalLMBackbone,
    prompt: str,
    instruction: str | None,
    max_length: int,
    examples: tuple[tuple[str, str], ...] = (),
) -> str:
    """The conversation up to where the model starts its answer: worked examples as earlier
    turns (k-shot), then the instruction and the prompt (its first ``max_length`` tokens)."""
    tok = backbone.preprocessing.tokenizer

    def ask(text: str) -> str:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        if len(ids) > max_length:
            text = tok.decode(ids[:max_length])
        return f"{instruction}\n\n{text}" if instruction else text

    messages = []
    for p, r in examples:
        messages += [{"role": "user", "content": ask(p)}, {"role": "assistant", "content": r}]
    messages.append({"role": "user", "content": ask(prompt)})
    return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def encode_pair(backbone: CausalLMBackbone, prefix: str, response: str) -> tuple[list[int], int]:
    """Token ids of the prefix, the response and its end-of-turn token, and how many of
    them belong to the prefix (those carry no loss)."""
    tok = backbone.preprocessing.tokenizer
    start = tok(prefix, add_special_tokens=False)["input_ids"]
    answer = tok(response, add_special_tokens=False)["input_ids"]
    return [*start, *answer, end_of_turn(backbone)], len(start)


def end_of_turn(backbone: CausalLMBackbone) -> int:
    """The token that ends the assistant's turn (the tokenizer's end-of-sequence token,
    ``<|im_end|>`` in SmolLM2's chat format)."""
    return int(backbone.preprocessing.tokenizer.eos_token_id)


def length_buckets(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """Batches of indices with similar lengths, in a seeded random order."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    pool = batch_size * 8
    batches = []
    for s in range(0, len(order), pool):
        chunk = sorted(order[s : s + pool].tolist(), key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _collate(encoded: list[tuple[list[int], int]], pad: int) -> tuple[torch.Tensor, ...]:
    longest = max(len(ids) for ids, _ in encoded)
    ids = torch.full((len(encoded), longest), pad, dtype=torch.long)
    mask = torch.zeros((len(encoded), longest), dtype=torch.long)
    labels = torch.full((len(encoded), longest), IGNORE, dtype=torch.long)
    for i, (seq, start) in enumerate(encoded):
        ids[i, : len(seq)] = torch.tensor(seq)
        mask[i, : len(seq)] = 1
        labels[i, start : len(seq)] = torch.tensor(seq[start:])
    return ids, mask, labels


def response_loss(
    backbone: CausalLMBackbone, ids: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, int]:
    """Mean cross-entropy of the response tokens, and how many there were: the state at
    position ``t`` predicts token ``t + 1``."""
    hidden = backbone.model(input_ids=ids, attention_mask=mask, use_cache=False)[0]
    target = labels[:, 1:]
    picked = target != IGNORE
    states = hidden[:, :-1][picked]
    rows = backbone.output_rows()
    logits = states @ rows.to(states.dtype).T
    return nn.functional.cross_entropy(logits, target[picked]), int(picked.sum())


@dataclass
class TuneHistory:
    """Per epoch: mean training loss, validation loss and seconds; the epoch kept."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int = 0
    tokens_per_second: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "train_loss": self.train_loss,
            "val_loss": self.val_loss,
            "seconds": self.seconds,
            "best_epoch": self.best_epoch,
            "training_tokens_per_second": self.tokens_per_second,
        }


def tune(
    backbone: CausalLMBackbone,
    train: Pairs,
    val: Pairs,
    cfg: TuneConfig,
    seed: int = 0,
    report: Callable[[str], None] | None = None,
) -> TuneHistory:
    """Train the adapters already in ``backbone`` (``generator.add_adapters``) on ``train``,
    keeping those of the lowest validation loss."""
    prefix = lambda p: chat_prefix(backbone, p, cfg.instruction, cfg.max_length)  # noqa: E731
    encoded = [encode_pair(backbone, prefix(p), r) for p, r in zip(*_cols(train), strict=True)]
    held = [encode_pair(backbone, prefix(p), r) for p, r in zip(*_cols(val), strict=True)]
    pad = int(backbone.preprocessing.tokenizer.pad_token_id)
    params = [p for p in backbone.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    steps = cfg.epochs * math.ceil(len(encoded) / cfg.batch_size)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup + 1)))
    )
    history, best, best_state, waited = TuneHistory(), math.inf, None, 0
    trained_tokens, trained_seconds = 0, 0.0
    for epoch in range(cfg.epochs):
        start = time.perf_counter()
        backbone.model.train()
        losses, tokens = [], 0
        lengths = [len(ids) for ids, _ in encoded]
        for batch in length_buckets(lengths, cfg.batch_size, seed + epoch):
            ids, mask, labels = _collate([encoded[i] for i in batch], pad)
            losses.append(_step(backbone, ids, mask, labels, optimizer, schedule, params))
            tokens += int(mask.sum())
        trained_tokens += tokens
        trained_seconds += time.perf_counter() - start
        val_loss = validation_loss(backbone, held, cfg.batch_size, pad)
        history.train_loss.append(float(np.mean(losses)))
        history.val_loss.append(val_loss)
        history.seconds.append(time.perf_counter() - start)
        if report is not None:
            report(
                f"epoch {epoch + 1}: training loss {history.train_loss[-1]:.3f}, validation "
                f"loss {val_loss:.3f} ({history.seconds[-1]:.0f} s)"
            )
        if val_loss < best:
            best, waited, history.best_epoch = val_loss, 0, epoch + 1
            best_state = copy.deepcopy({n: p.detach() for n, p in _trained(backbone)})
        else:
            waited += 1
            if cfg.patience is not None and waited >= cfg.patience:
                break
    if best_state is not None:
        with torch.no_grad():
            for name, p in _trained(backbone):
                p.copy_(best_state[name])
    backbone.model.eval()
    history.tokens_per_second = trained_tokens / max(trained_seconds, 1e-9)
    return history


def _step(
    backbone: CausalLMBackbone,
    ids: torch.Tensor,
    mask: torch.Tensor,
    labels: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    params: list[nn.Parameter],
) -> float:
    """One optimiser step on one batch; its loss."""
    loss, _ = response_loss(backbone, ids, mask, labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    schedule.step()
    return float(loss.detach())


@torch.no_grad()
def validation_loss(
    backbone: CausalLMBackbone, held: list[tuple[list[int], int]], batch_size: int, pad: int
) -> float:
    """Cross-entropy per response token over the validation pairs."""
    backbone.model.eval()
    total, count = 0.0, 0
    order = sorted(range(len(held)), key=lambda i: len(held[i][0]))
    for s in range(0, len(order), batch_size):
        ids, mask, labels = _collate([held[i] for i in order[s : s + batch_size]], pad)
        loss, n = response_loss(backbone, ids, mask, labels)
        total += float(loss) * n
        count += n
    return total / max(count, 1)


def _cols(pairs: Pairs) -> tuple[list[str], list[str]]:
    return pairs.prompts, pairs.responses


def _trained(backbone: nn.Module) -> list[tuple[str, nn.Parameter]]:
    return [(n, p) for n, p in backbone.named_parameters() if p.requires_grad]
