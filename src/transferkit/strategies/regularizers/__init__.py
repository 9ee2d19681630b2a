"""Regularisers that limit forgetting while fine-tuning, combinable with every strategy
that trains backbone weights (``--regularizer l2sp`` or ``lwf``): one module each,
registered with ``@register_regularizer(name)`` on a factory
``(classifier, weight, start_block) -> penalty module``."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from transferkit.models.classifier import Classifier
from transferkit.registry import Registry

RegularizerFactory = Callable[[Classifier, float | None, int], nn.Module]
REGULARIZERS: Registry[RegularizerFactory] = Registry(
    "regularizer", packages=["transferkit.strategies.regularizers"]
)


def register_regularizer(name: str) -> Callable[[RegularizerFactory], RegularizerFactory]:
    return REGULARIZERS.register(name)


def regularizer_names() -> list[str]:
    return REGULARIZERS.names()


def build_regularizer(
    name: str | None, classifier: Classifier, weight: float | None, start: int = 0
) -> list[nn.Module]:
    return [] if name is None else [REGULARIZERS.get(name)(classifier, weight, start)]
