"""``auto``: pick a strategy from the data by a fixed, documented rule, and say why.

The rule, with the measurements behind it in the README's strategy guide:

* text, at most ``few_shot`` examples in the smallest class: ``contrastive`` (tune the
  encoder on in-batch pairs, then a logistic head). Judged on validation data (1,000
  sentences of SST-2's dev.tsv, all-MiniLM-L6-v2, 6 seeds; measured with the ``fit``
  calls that ``python -m benchmarks.fewshot_sst2 --on val --max-val 1000 --shots 8 16
  --seeds 6 --strategies linear-probe contrastive`` makes, on one thread) it beat the
  frozen-embedding probe with 8 examples per class (0.638 against 0.615, better on 6 of 6
  seeds) and with 16 (0.694 against 0.663, 5 of 6), at 10-40x the probe's time; the
  README has both on the test set at 8 and 64;
  with at most ``quick`` examples in the smallest class it runs contrastive's quick
  schedule (``QUICK``: the lower half of the encoder frozen and computed once, 8 epochs at
  learning rate 5e-5 instead of 16 at 2e-5). On the same validation data (seeds 100-105)
  the quick schedule was level with the full one at 8 examples per class (0.638 against
  0.641, better on 3 of 6 seeds) in about a quarter of the time (about 2.5 s against
  10 s), but worse at 16 (0.692 against 0.702) and at 64 (0.772 against 0.787), on 6 of
  6 seeds each; hence the threshold of 8;
* images, at most ``few_shot`` examples in the smallest class: ``linear-probe`` — with a
  handful of images per class, fine-tuning mostly fits noise while the pretrained
  features already separate the classes;
* otherwise ``lp-ft`` (linear probe, then fine-tuning from that head), or ``linear-probe``
  when ``budget=fast`` (no backbone training at all).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from transferkit.config import option
from transferkit.data.dataset import Splits
from transferkit.errors import DataError
from transferkit.models.classifier import Classifier
from transferkit.strategies.base import (
    STRATEGIES,
    FitContext,
    Strategy,
    StrategyConfig,
    StrategyResult,
    register_strategy,
)


@dataclass
class AutoConfig(StrategyConfig):
    budget: str = option(
        "balanced",
        "'fast': never train the backbone; 'balanced': the rule in the docs.",
        choices=("fast", "balanced"),
    )
    few_shot: int = option(
        100, "At most this many examples in the smallest class counts as few-shot.", min=1
    )
    quick: int = option(
        8,
        "Text with at most this many examples in the smallest class gets contrastive's "
        "quick schedule.",
        min=0,
    )


#: contrastive's options for the smallest text data sets (see the module's docstring)
QUICK = {"freeze": 0.5, "epochs": 8, "lr": 5e-5}


def choose(splits: Splits, cfg: AutoConfig) -> tuple[str, str, dict[str, object]]:
    counts = Counter(splits.train.labels or [])
    smallest_class, smallest = min(counts.items(), key=lambda kv: kv[1])
    if smallest < 2:
        raise DataError(
            f"auto needs at least 2 training examples per class to choose and fit a strategy, "
            f"and class {smallest_class!r} has {smallest}; add examples of it."
        )
    few = smallest <= cfg.few_shot
    size = f"{smallest} examples in the smallest class ({smallest_class!r})"
    if cfg.budget == "fast":
        return "linear-probe", f"budget 'fast' never trains the backbone; {size}", {}
    if splits.modality == "text" and few and smallest <= cfg.quick:
        why = f"few-shot text ({size} <= {cfg.quick}), quick schedule (lower half frozen)"
        return "contrastive", why, dict(QUICK)
    if splits.modality == "text" and few:
        return "contrastive", f"few-shot text ({size} <= {cfg.few_shot})", {}
    if few:
        return "linear-probe", f"few-shot {splits.modality}s ({size} <= {cfg.few_shot})", {}
    return "lp-ft", f"enough data to fine-tune ({size} > {cfg.few_shot})", {}


@register_strategy("auto")
class Auto(Strategy[AutoConfig]):
    summary = "choose a strategy from the data (size per class, modality, budget) and say why"
    Config = AutoConfig

    def resolve(self, splits: Splits) -> tuple[Strategy[Any], str]:
        name, why, options = choose(splits, self.config)
        picked = STRATEGIES.get(name)
        return picked(picked.Config.from_dict(options)), f"auto picked {name}: {why}"

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        raise RuntimeError("auto is resolved to a concrete strategy before fitting")
