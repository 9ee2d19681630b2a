"""Trained models: the network (backbone + head), its heads, the user-facing model, the
record of how it was made and its directory on disk."""

from transferkit.models.artifact import read_record
from transferkit.models.classifier import Classifier
from transferkit.models.model import Predictions, TransferModel, load_model, save_model
from transferkit.models.record import ModelRecord

__all__ = [
    "Classifier",
    "ModelRecord",
    "Predictions",
    "TransferModel",
    "load_model",
    "read_record",
    "save_model",
]
