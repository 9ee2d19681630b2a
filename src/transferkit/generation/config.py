"""The options of a generation run (``transferkit fit --task generate``)."""

from __future__ import annotations

from dataclasses import dataclass

from transferkit.config import Config, option


@dataclass
class TuneConfig(Config):
    describe = "generation option"
    instruction: str | None = option(
        None,
        "Put this instruction before every prompt (e.g. 'Name the subject of this text.'); "
        "zero- and k-shot prompting get it too.",
    )
    examples: int = option(
        2, "Worked examples (training pairs) in the k-shot baseline's prompt (0: none).", min=0
    )
    epochs: int = option(5, "Maximum epochs over the training pairs.", min=1)
    patience: int | None = option(
        2, "Stop after this many epochs without a lower validation loss.", min=1
    )
    batch_size: int = option(8, "Pairs per step (bucketed by length).", min=1)
    lr: float = option(5e-4, "Learning rate of the adapters (AdamW).", min=0)
    rank: int = option(8, "Rank r of each low-rank update.", min=1, max=1024)
    alpha: float = option(16.0, "Scale: updates are multiplied by alpha / rank.", min=0)
    max_length: int = option(
        256, "Tokens kept of a prompt (from its start); the response is never cut.", min=8
    )
    max_new_tokens: int = option(32, "Most tokens written per answer.", min=1)
    test_fraction: float = option(
        0.2,
        "Share of the pairs held out as the test split when none is given.",
        min=0.05,
        max=0.5,
    )
    merge: bool = option(
        False,
        "Also write the adapters folded into the weights, as a plain transformers model "
        "folder (merged/ in --out).",
    )
