"""``load``: a model directory back as a ``TransferModel`` that predicts what its run
reported. Loading reads data only: the strategy that trained the model rebuilds what it
changed beyond the head (LoRA's adapters) from the record, before the weights load."""

from __future__ import annotations

from pathlib import Path

from transferkit.errors import ModelDirError, TransferkitError
from transferkit.features import FeatureCache
from transferkit.models import Classifier, ModelRecord, TransferModel, load_model
from transferkit.strategies import STRATEGIES


def _rebuild(classifier: Classifier, record: ModelRecord) -> None:
    if record.strategy.name not in STRATEGIES:
        return
    try:
        STRATEGIES.get(record.strategy.name).rebuild(classifier, record)
    except (TransferkitError, KeyError, AttributeError, TypeError, ValueError) as exc:
        raise ModelDirError(
            f"The model directory is damaged or was not written by transferkit: its "
            f"{record.strategy.name} settings do not rebuild the model ({exc})."
        ) from None


def load(directory: str | Path) -> TransferModel:
    """Load a model directory written by ``fit`` (or by an earlier transferkit)."""
    model = load_model(directory, rebuild=_rebuild)
    model.cache = FeatureCache() if model.record.backbone_frozen else None
    return model
