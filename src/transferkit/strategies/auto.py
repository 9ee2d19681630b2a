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
* images and recordings, at most ``few_shot`` examples in the smallest class:
  ``linear-probe`` — with a handful of examples per class, fine-tuning mostly fits noise
  while the pretrained features already separate the classes (for recordings this is
  the image rule carried over, not yet measured on audio validation data: on FSDD's 270
  recordings per class, above the threshold, ``benchmarks/fsdd_study.py`` records what
  fine-tuning and the probe each reached on validation);
* otherwise ``lp-ft`` (linear probe, then fine-tuning from that head), or ``linear-probe``
  when ``budget=fast`` (no backbone training at all).

A strategy that trains the backbone must also fit the time ``budget`` (10 minutes unless
told): before choosing, ``auto`` times a forward pass and a few training steps of the
network on this machine (``training.estimate``), turns them into each candidate's
estimated time, prints both, and falls back to ``linear-probe`` when the choice would not
fit. On two cores, lp-ft on 770 photos is estimated at tens of minutes (it was once still
running after 25), the probe at well under one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import torch

from transferkit.backbones.base import Backbone
from transferkit.config import option
from transferkit.data.batches import make_loader
from transferkit.data.dataset import Splits
from transferkit.errors import ConfigError, DataError
from transferkit.models.classifier import Classifier
from transferkit.runtime import to_device
from transferkit.strategies.base import (
    STRATEGIES,
    FitContext,
    Strategy,
    StrategyConfig,
    StrategyResult,
    register_strategy,
)
from transferkit.training.estimate import StepTimes, duration, measure, parse_budget


@dataclass
class AutoConfig(StrategyConfig):
    budget: str = option(
        "10m",
        "How long training may take here, e.g. '10m', '90s', '1h' (estimated on a few real "
        "steps first; over it, the linear probe); 'fast': never train the backbone; "
        "'none': no limit.",
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
    if cfg.budget == "fast" or parse_budget(cfg.budget) == 0:
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
    summary = "choose a strategy from the data (size per class, modality, time budget) and say why"
    Config = AutoConfig
    resolves_with_backbone = True

    def resolve(
        self, splits: Splits, backbone: Backbone | None = None
    ) -> tuple[Strategy[Any], str]:
        budget = self._budget()
        name, why, options = choose(splits, self.config)
        picked = STRATEGIES.get(name)
        chosen = picked(picked.Config.from_dict(options))
        if backbone is not None and name != "linear-probe" and budget < float("inf"):
            chosen, name, why = _within(chosen, name, why, budget, _times(backbone, splits), splits)
        return chosen, f"auto picked {name}: {why}"

    def _budget(self) -> float:
        if self.config.budget == "fast":
            return 0.0
        seconds = parse_budget(self.config.budget)
        if seconds is None:
            raise ConfigError(
                f"budget {self.config.budget!r} is not a time; give one like 10m, 90s or 1h, "
                "or fast, or none."
            )
        return seconds

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        raise RuntimeError("auto is resolved to a concrete strategy before fitting")


def _times(backbone: Backbone, splits: Splits) -> StepTimes:
    """Per-example times of ``backbone`` under a new head, on the first training batch."""
    with torch.random.fork_rng():  # the head's initialisation here must not shift the seed
        classifier = Classifier(backbone, splits.classes)
    train = splits.train
    n = min(16, len(train))
    labels = train.encode(splits.classes)[:n]
    batch, targets = next(iter(make_loader(backbone, train.inputs[:n], labels, batch_size=n)))
    device = next(backbone.parameters()).device
    return measure(classifier, to_device(batch, device), targets.to(device))


def _within(
    chosen: Strategy[Any], name: str, why: str, budget: float, times: StepTimes, splits: Splits
) -> tuple[Strategy[Any], str, str]:
    """``chosen`` if its estimated time fits ``budget``, else the linear probe; ``why``
    gains both estimates."""
    probe = STRATEGIES.get("linear-probe")()
    cost = chosen.estimated_seconds(times, splits)
    probe_cost = probe.estimated_seconds(times, splits)
    if cost is None or probe_cost is None:
        return chosen, name, why
    estimates = f"{name} ~ {duration(cost)} here, linear-probe ~ {duration(probe_cost)}"
    if cost <= budget:
        return chosen, name, f"{why}; {estimates}, within the {duration(budget)} budget"
    return (
        probe,
        "linear-probe",
        f"{why}, but {estimates}: {name} would not fit the {duration(budget)} budget "
        "(--budget to change it)",
    )
