"""The ``prepare`` stage of ``fit``: read and split the data, resolve the strategy that
will run, build the backbone and the network, all before any training."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transferkit.data import DataConfig, Splits, load_splits
from transferkit.data.load import carve_validation, read_unlabelled
from transferkit.errors import ConfigError
from transferkit.features import FeatureCache
from transferkit.models import Classifier
from transferkit.progress import SILENT, Progress
from transferkit.runtime import device_profile, seed_everything
from transferkit.strategies import STRATEGIES, FitContext, Strategy
from transferkit.workflows.common import backbone_for, feature_cache


@dataclass
class Prepared:
    """Everything training needs, decided before it starts."""

    data: str | Path
    splits: Splits
    data_config: DataConfig
    strategy: Strategy[Any]  # the one that runs (``auto`` resolved)
    asked: str
    choice: str | None  # why ``auto`` (or another resolving strategy) picked it
    model_name: str
    weights: str | Path | None
    classifier: Classifier
    context: FitContext
    seed: int


def prepare(
    data: str | Path,
    model: str | None,
    strategy: str,
    seed: int = 0,
    weights: str | Path | None = None,
    cache: bool | FeatureCache = True,
    progress: Progress = SILENT,
    target: str | Path | None = None,
    options: dict[str, Any] | None = None,
) -> Prepared:
    """Read and split the data, resolve the strategy, build the backbone and the network."""
    strategy_cls = STRATEGIES.get(strategy)
    data_opts, strategy_opts = split_options(strategy_cls, options or {})
    data_config = DataConfig.from_dict(data_opts)
    splits = load_splits(data, data_config, seed, carve_val=False)
    asked = strategy_cls(strategy_cls.Config.from_dict(strategy_opts))
    build = functools.partial(backbone_for, model, splits.modality, data)
    backbone = build(pretrained=True, weights=weights) if asked.resolves_with_backbone else None
    chosen, choice = asked.resolve(splits, backbone)
    check_target(chosen, target)
    if chosen.needs_validation() and splits.val is None:
        splits = carve_validation(splits, data_config, seed)
    pretrained = chosen.uses_pretrained_weights
    if backbone is None or not pretrained:
        backbone = build(pretrained=pretrained, weights=weights if pretrained else None)
    backbone.describe_task(splits.classes)
    chosen.check(backbone, splits)
    target_ds = None if target is None else read_unlabelled(target, splits.modality, data_config)
    seed_everything(seed)  # after building the backbone: the head's initialisation is seeded
    classifier = Classifier(backbone, splits.classes).to(device_profile().device)
    context = FitContext(splits, seed, feature_cache(cache), progress, target=target_ds)
    name = model or backbone.source
    return Prepared(
        data,
        splits,
        data_config,
        chosen,
        strategy,
        choice,
        name,
        weights,
        classifier,
        context,
        seed,
    )


def split_options(
    strategy: type[Strategy[Any]], options: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sort keyword options into data options and strategy options."""
    data_names, strategy_names = set(DataConfig.field_names()), set(strategy.Config.field_names())
    data_opts, strategy_opts = {}, {}
    for key, value in options.items():
        if key in data_names:
            data_opts[key] = value
        elif key in strategy_names:
            strategy_opts[key] = value
        else:
            valid = ", ".join(sorted(data_names | strategy_names))
            raise ConfigError(
                f"{key!r} is neither a data option nor an option of strategy {strategy.name!r}; "
                f"valid options: {valid}."
            )
    return data_opts, strategy_opts


def check_target(strategy: Strategy[Any], target: str | Path | None) -> None:
    """A target domain is given exactly when the strategy adapts to one."""
    if strategy.needs_target and target is None:
        raise ConfigError(
            f"{strategy.name} adapts to an unlabelled target domain; pass --target DATA."
        )
    if target is not None and not strategy.needs_target:
        methods = ", ".join(e.name for e in STRATEGIES if e.obj.needs_target)
        raise ConfigError(
            f"{strategy.name} does not use a target domain; drop --target, or choose a "
            f"domain-adaptation method ({methods})."
        )
