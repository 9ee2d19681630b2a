"""Prompting a generative language model, trained nothing: the baseline any adaptation
of that model must beat.

The model reads an instruction naming the labels, ``examples`` worked examples per class
drawn from the training split with the seed (zero-shot when 0), then the text, and the
label it would write is scored by its next-token score of the label's first token
(``backbones.causal_lm``): the prediction is always one of the labels. Since nothing is
trained, the validation split only calibrates the scores and fits the familiarity check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from transferkit.backbones.base import Backbone
from transferkit.config import option
from transferkit.data.dataset import Splits
from transferkit.errors import IncompatibleError
from transferkit.models.classifier import Classifier
from transferkit.models.heads import LinearHead
from transferkit.strategies.base import (
    FitContext,
    Strategy,
    StrategyConfig,
    StrategyResult,
    register_strategy,
)
from transferkit.strategies.linear_probe import embedding_seconds
from transferkit.training.estimate import StepTimes


@dataclass
class PromptConfig(StrategyConfig):
    examples: int = option(
        0,
        "Worked examples per class shown in the prompt (k-shot), drawn from the training "
        "split with the seed, in a seeded order (0: zero-shot).",
        min=0,
        max=16,
    )
    calibrate: bool = option(
        True,
        "Contextual calibration: subtract the label scores the model gives content-free "
        "texts ('N/A') in the same prompt, so a label it favours whatever it reads does not "
        "win by default (Zhao et al., 2021).",
    )


def pick_examples(
    texts: list[str], labels: list[str], classes: list[str], per_class: int, seed: int
) -> list[tuple[str, str]]:
    """``per_class`` (text, label) pairs per class, classes interleaved in a seeded order so
    that no label always comes last (the model favours the label it saw most recently)."""
    rng = np.random.default_rng(seed)
    by_class = {c: [i for i, y in enumerate(labels) if y == c] for c in classes}
    chosen: list[int] = []
    for round_ in range(per_class):
        row = [int(rng.choice(by_class[c])) for c in classes if len(by_class[c]) > round_]
        for i in row:
            by_class[labels[i]].remove(i)
        chosen += [row[j] for j in rng.permutation(len(row))]
    return [(str(texts[i]), labels[i]) for i in chosen]


def label_scoring(backbone: Backbone) -> bool:
    """Whether ``backbone`` can score label words (a generative language model)."""
    return callable(getattr(backbone, "label_weights", None))


def label_words_head(backbone: Backbone, classes: list[str], calibrate: bool = True) -> LinearHead:
    """A linear head whose logits are the language model's scores of the label words
    (``CausalLMBackbone.label_weights``): untrained, the model's own answer."""
    weight, bias = backbone.label_weights(classes, calibrate)
    head = LinearHead(weight.shape[1], classes)
    with torch.no_grad():
        head.weight.copy_(weight)
        head.bias.copy_(bias)
    return head.to(weight.device)


def check_label_scoring(backbone: Backbone, what: str) -> None:
    if not label_scoring(backbone):
        raise IncompatibleError(
            f"{what} needs a generative language model that writes the labels "
            f"(smollm2-135m-instruct, or a causal LM folder); {backbone.source} is not one."
        )


@register_strategy("prompt")
class Prompt(Strategy[PromptConfig]):
    summary = "a generative LLM answers with a label word: zero- or k-shot prompting, no training"
    Config = PromptConfig
    keeps_backbone = True

    def check(self, backbone: Backbone, splits: Splits) -> None:
        check_label_scoring(backbone, "prompt")

    def estimated_seconds(self, times: StepTimes, splits: Splits) -> float | None:
        return embedding_seconds(times, splits) * (1 + self.config.examples * len(splits.classes))

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg, backbone = self.config, model.backbone
        train = ctx.splits.train
        examples = pick_examples(
            list(train.inputs), list(train.labels or []), model.classes, cfg.examples, ctx.seed
        )
        backbone.set_examples(examples)
        device = next(model.head.parameters()).device
        model.head = label_words_head(backbone, model.classes, cfg.calibrate).to(device)
        model.freeze_backbone()
        model.freeze([model.head])
        how = "zero-shot"
        if cfg.examples:
            how = f"{cfg.examples}-shot ({len(examples)} examples in the prompt)"
        if cfg.calibrate:
            how += ", calibrated on content-free texts"
        return StrategyResult(
            notes=[f"{how} prompting of {backbone.source}: nothing trained"],
            details={"examples_per_class": cfg.examples, "examples": len(examples)},
        )
