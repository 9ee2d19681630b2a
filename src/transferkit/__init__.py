"""transferkit: adapt a pretrained model to your small labelled data set, and find out
honestly whether it worked.

    >>> import transferkit
    >>> result = transferkit.fit("hymenoptera/", model="mobilenet_v2", strategy="finetune",
    ...                          test_split="val", out="ants-vs-bees")
    >>> transferkit.load("ants-vs-bees").predict(["photo.jpg"])
"""

from transferkit.backbones import create_backbone, list_backbones
from transferkit.errors import TransferkitError
from transferkit.strategies import list_strategies
from transferkit.workflows import AdaptResult, FitResult, adapt, compare, explore, fit, load, rank

__all__ = [
    "AdaptResult",
    "FitResult",
    "TransferkitError",
    "adapt",
    "compare",
    "create_backbone",
    "explore",
    "fit",
    "list_backbones",
    "list_strategies",
    "load",
    "rank",
]
