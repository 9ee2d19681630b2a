"""Trained models: the network (backbone + head), the user-facing model, and its directory."""

from transferkit.models.artifact import load_model, read_record, save_model
from transferkit.models.classifier import Classifier
from transferkit.models.model import TransferModel

__all__ = ["Classifier", "TransferModel", "load_model", "read_record", "save_model"]
