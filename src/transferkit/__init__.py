"""transferkit: adapt a pretrained model to your small labelled data set, and find out
honestly whether it worked.

    >>> import transferkit
    >>> result = transferkit.fit("hymenoptera/", model="mobilenet_v2", strategy="finetune",
    ...                          test_split="val", out="ants-vs-bees")
    >>> transferkit.load("ants-vs-bees").predict(["photo.jpg"])

The names below are imported when first used, so that ``import transferkit`` (and the
command line's ``--help``) does not pay for torch until something needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "AdaptResult": "transferkit.workflows.adapt",
    "FitResult": "transferkit.workflows.fit",
    "TransferkitError": "transferkit.errors",
    "adapt": "transferkit.workflows.adapt",
    "compare": "transferkit.workflows.compare",
    "create_backbone": "transferkit.backbones.registry",
    "explore": "transferkit.workflows.explore",
    "export": "transferkit.workflows.export",
    "fit": "transferkit.workflows.fit",
    "list_backbones": "transferkit.backbones.registry",
    "list_strategies": "transferkit.strategies.base",
    "load": "transferkit.workflows.load",
    "rank": "transferkit.workflows.rank",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'transferkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
