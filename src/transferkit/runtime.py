"""Where things live and how this machine runs: cache and data roots, device, seeds."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

CACHE_ENV = "TRANSFERKIT_CACHE"
DATA_ENV = "TRANSFERKIT_DATA_ROOT"


def cache_dir() -> Path:
    """Root of transferkit's on-disk caches (embeddings); ``$TRANSFERKIT_CACHE`` overrides."""
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "transferkit"


def data_root() -> Path:
    """Where the bundled examples look for data sets: ``$TRANSFERKIT_DATA_ROOT``, else
    ``../shared/data`` beside the working directory (this project's machines)."""
    root = os.environ.get(DATA_ENV)
    return Path(root).expanduser() if root else Path("..", "shared", "data").resolve()


def seed_everything(seed: int) -> None:
    """Fix Python's, NumPy's and torch's generators (splits, initialisation, order)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@dataclass(frozen=True)
class DeviceProfile:
    """Batch sizes and memory layout that run fastest on a device.

    Measured on 2-core CPUs: a CNN infers 2-4x faster per image at batch 4 in
    ``channels_last`` layout than at batch 32-64 in the default layout, the reverse of
    GPU habits.
    """

    device: torch.device
    image_infer_batch: int
    text_infer_batch: int
    channels_last: bool


def device_profile(device: str | torch.device | None = None) -> DeviceProfile:
    dev = torch.device(device) if device else default_device()
    if dev.type == "cpu":
        return DeviceProfile(dev, image_infer_batch=4, text_infer_batch=32, channels_last=True)
    return DeviceProfile(dev, image_infer_batch=64, text_infer_batch=128, channels_last=False)


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def process_state() -> object:
    """Accelerate's view of the processes (several under ``accelerate launch``); on a
    machine without GPUs it is told to use the CPU, which makes processes launched with
    ``--multi_gpu`` form a CPU (gloo) group."""
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def is_main_process() -> bool:
    return bool(process_state().is_main_process)  # type: ignore[attr-defined]


def num_processes() -> int:
    return int(process_state().num_processes)  # type: ignore[attr-defined]


def to_device(batch: Any, device: torch.device) -> Any:
    """Move a batch (a tensor, or a dict or tuple of them) to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple | list):
        return type(batch)(to_device(v, device) for v in batch)
    return batch
