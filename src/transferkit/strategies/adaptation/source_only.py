"""Source-only: the domain-adaptation baseline, trained on the labelled source alone with
the same bottleneck and schedule as the methods, the target ignored."""

from __future__ import annotations

from transferkit.strategies.adaptation.base import AdaptationMethod
from transferkit.strategies.base import register_strategy


@register_strategy("source-only")
class SourceOnly(AdaptationMethod):
    summary = "domain adaptation baseline: train on the labelled source, ignore the target"
    uses_target_batches = False
