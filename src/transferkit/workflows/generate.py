"""``fit --task generate``: adapt a causal LM to write the responses of prompt and response
pairs, and say honestly whether it was worth it.

One run, one held-out test split, three ways of using the same model on it:

1. **zero-shot**: the pretrained model given the instruction and the prompt;
2. **k-shot**: the same, after ``examples`` worked training pairs as earlier turns;
3. **adapted**: LoRA adapters trained on the training pairs (``generation.tuning``),
   chosen by validation loss.

Each is scored by exact match and token F1 with bootstrap intervals (and the
invalid-output rate when the responses are labels). What adapting cost the model's
general skill is measured as for classification: perplexity on general text and the
answers to general questions, before and after. The test split is scored, never used to
choose anything.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.backbones import create_backbone
from transferkit.evaluation.general_prompts import PROMPTS
from transferkit.evaluation.generation import GenerationMetrics, score_generations
from transferkit.evaluation.paraphrases import PAIRS
from transferkit.generation.config import TuneConfig
from transferkit.generation.generator import Generator, base_generator
from transferkit.generation.pairs import PairSplits, load_pair_splits
from transferkit.generation.tuning import TuneHistory, tune
from transferkit.models.artifact import check_writable
from transferkit.progress import SILENT, Progress

DEFAULT_MODEL = "smollm2-135m-instruct"


@dataclass
class Scored:
    """One way of using the model, on the test split."""

    name: str
    metrics: GenerationMetrics
    outputs: list[str]
    seconds: float
    tokens_per_second: float


@dataclass
class GenerateResult:
    generator: Generator
    splits: PairSplits
    methods: list[Scored]
    history: TuneHistory
    perplexity_before: float
    perplexity_after: float
    answers: list[dict[str, str]]
    out: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def adapted(self) -> Scored:
        return self.methods[-1]

    def to_dict(self) -> dict[str, Any]:
        test = self.splits.test
        return {
            "task": "generate",
            "splits": {
                "train": len(self.splits.train),
                "val": len(self.splits.val),
                "test": len(self.splits.test),
            },
            "notes": self.notes,
            "methods": {
                m.name: {
                    **asdict(m.metrics),
                    "seconds": m.seconds,
                    "generated_tokens_per_second": m.tokens_per_second,
                }
                for m in self.methods
            },
            "history": self.history.to_dict(),
            "forgetting": {
                "probe": f"{len(PAIRS) * 2} general sentences; {len(PROMPTS)} general questions",
                "perplexity_before": self.perplexity_before,
                "perplexity_after": self.perplexity_after,
                "answers": self.answers,
            },
            "test_outputs": [
                {"prompt": p, "reference": r, **{m.name: m.outputs[i] for m in self.methods}}
                for i, (p, r) in enumerate(zip(test.prompts, test.responses, strict=True))
            ],
        }


def fit_generate(
    data: Any,
    model: str | None = None,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    seed: int = 0,
    progress: Progress = SILENT,
    text_column: str | None = None,
    label_column: str | None = None,
    val_fraction: float = 0.2,
    **options: Any,
) -> GenerateResult:
    """Adapt a causal LM to prompt and response pairs (``data``: a table, a folder of split
    tables, or ``(prompts, responses)``); ``options`` are ``TuneConfig``'s."""
    cfg = TuneConfig.from_dict(options)
    out_path = Path(out).expanduser().absolute() if out is not None else None
    if out_path is not None:
        check_writable(out_path, overwrite)  # before any work
    splits = load_pair_splits(
        data, seed, cfg.test_fraction, val_fraction, text_column, label_column
    )
    say = progress.note
    backbone = create_backbone(model or DEFAULT_MODEL)
    generator = base_generator(backbone, cfg)
    general = [s for pair in PAIRS for s in pair]

    def scored(name: str, examples: tuple[tuple[str, str], ...] = ()) -> Scored:
        result = score_on_test(generator, splits, name, examples, seed)
        m = result.metrics
        say(f"{name}: exact match {m.exact_match:.3f}, token F1 {m.token_f1:.3f}")
        return result

    methods = [scored("zero-shot")]
    if cfg.examples > 0:
        shown = worked_examples(splits, cfg.examples, seed)
        methods.append(scored(f"{len(shown)}-shot", shown))
    perplexity_before = backbone.perplexity(general)
    answers_before = backbone.complete(list(PROMPTS))
    generator.attach_adapters(seed)
    history = tune(backbone, splits.train, splits.val, cfg, seed, report=say)
    methods.append(scored("lora"))
    answers_after = backbone.complete(list(PROMPTS))
    result = GenerateResult(
        generator=generator,
        splits=splits,
        methods=methods,
        history=history,
        perplexity_before=perplexity_before,
        perplexity_after=backbone.perplexity(general),
        answers=[
            {"prompt": p, "before": b, "after": a}
            for p, b, a in zip(PROMPTS, answers_before, answers_after, strict=True)
        ],
        notes=splits.notes,
    )
    if out_path is not None:
        result.out = generator.save(out_path, overwrite, result.to_dict(), merge=cfg.merge)
    return result


def worked_examples(splits: PairSplits, k: int, seed: int) -> tuple[tuple[str, str], ...]:
    """``k`` training pairs drawn with the seed, for the k-shot prompt."""
    pick = np.random.default_rng(seed).permutation(len(splits.train))[:k]
    return tuple((splits.train.prompts[i], splits.train.responses[i]) for i in pick)


def score_on_test(
    generator: Generator,
    splits: PairSplits,
    name: str,
    examples: tuple[tuple[str, str], ...] = (),
    seed: int = 0,
) -> Scored:
    """The generator's answers to the test prompts, scored, with the tokens it wrote a
    second (one prompt at a time, greedy)."""
    test = splits.test
    start = time.perf_counter()
    outputs = generator.generate(test.prompts, examples=examples)
    seconds = time.perf_counter() - start
    tok = generator.backbone.preprocessing.tokenizer
    written = sum(len(tok(o, add_special_tokens=False)["input_ids"]) for o in outputs)
    metrics = score_generations(outputs, test.responses, splits.train.responses, seed=seed)
    return Scored(name, metrics, outputs, seconds, written / max(seconds, 1e-9))
