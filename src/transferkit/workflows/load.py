"""``load``: a model directory back as a ``TransferModel`` that predicts what its run
reported. Loading reads data only: the strategy that trained the model rebuilds what it
changed beyond the head (LoRA's adapters) from the record, before the weights load."""

from __future__ import annotations

from pathlib import Path

from transferkit.features import FeatureCache
from transferkit.models import Classifier, ModelRecord, TransferModel, load_model
from transferkit.strategies import STRATEGIES


def _rebuild(classifier: Classifier, record: ModelRecord) -> None:
    if record.strategy.name in STRATEGIES:
        STRATEGIES.get(record.strategy.name).rebuild(classifier, record)


def load(directory: str | Path) -> TransferModel:
    """Load a model directory written by ``fit`` (or by an earlier transferkit)."""
    model = load_model(directory, rebuild=_rebuild)
    model.cache = FeatureCache() if model.record.backbone_frozen else None
    return model
