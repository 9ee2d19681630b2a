"""How data is read: image folders and text tables, split and sampled with a seed."""

from transferkit.data.config import DataConfig
from transferkit.data.dataset import Dataset, Skipped, Splits
from transferkit.data.load import load_splits, read_dataset, read_inputs

__all__ = [
    "DataConfig",
    "Dataset",
    "Skipped",
    "Splits",
    "load_splits",
    "read_dataset",
    "read_inputs",
]
