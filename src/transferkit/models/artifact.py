"""Model directories on disk: written atomically, read back as data.

Layout::

    MODEL_DIR/
      config.json         the ModelRecord: classes, backbone source and preprocessing, the
                          head's description, strategy and every hyper-parameter, data
                          summary, seed, calibration, library versions (docs/formats.md)
      model.safetensors   all weights (no pickle anywhere)
      backbone/           what rebuilding the architecture needs (HF config, tokenizer)
      metrics.json        what the run measured (written by fit)
      predictions.csv     the run's validation and test predictions (written by fit)

A directory is assembled under a hidden temporary name beside its destination and renamed
into place only when complete, so an interrupted run never leaves a directory that looks
finished, and an existing one is replaced only when asked. This module knows files, not
models: ``models.model`` builds the network from what it reads.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transferkit.errors import ModelDirError
from transferkit.models.record import ModelRecord

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
BACKBONE_FILES = "backbone"


def check_writable(out: Path, overwrite: bool) -> None:
    """Fail before any work if ``out`` exists and may not be replaced."""
    if out.exists() and not overwrite:
        raise ModelDirError(
            f"{out} already exists; choose another --out, or pass --overwrite to replace it."
        )
    if out.exists() and not out.is_dir():
        raise ModelDirError(f"{out} exists and is not a directory; choose another --out.")


def write_atomically(out: Path, fill: Callable[[Path], None], overwrite: bool = False) -> Path:
    """Create ``out`` by calling ``fill(tmp)`` on a temporary sibling, then renaming it."""
    out = out.expanduser().absolute()
    check_writable(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    tmp = out.parent / f".{out.name}.partial-{token}"
    old = out.parent / f".{out.name}.old-{token}"
    tmp.mkdir()
    try:
        fill(tmp)
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return out


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def write_model_files(record: ModelRecord, network: Any, backbone: Any, directory: Path) -> None:
    """config.json, the weights and the backbone's own files into ``directory``."""
    from safetensors.torch import save_model as save_weights

    write_json(directory / CONFIG, record.to_dict())
    save_weights(network, str(directory / WEIGHTS))
    backbone.save_files(directory / BACKBONE_FILES)


def read_record(directory: Path) -> ModelRecord:
    """The record of a complete model directory (format 1 directories are upgraded)."""
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise ModelDirError(
            f"{directory} is not a model directory; give the --out folder of a fit."
        )
    config = directory / CONFIG
    if not config.exists() or not (directory / WEIGHTS).exists():
        raise ModelDirError(
            f"{directory} is not a complete transferkit model (config.json or model.safetensors "
            "is missing); give the --out folder of a finished fit."
        )
    try:
        raw = json.loads(config.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelDirError(
            f"{config} is not valid JSON; the model directory is damaged."
        ) from None
    return ModelRecord.from_dict(raw, str(config))


def load_weights(network: Any, directory: Path) -> None:
    """Load ``model.safetensors`` into ``network``, which must match it exactly."""
    from safetensors.torch import load_model as load_into

    try:
        missing, unexpected = load_into(network, str(directory / WEIGHTS), strict=False)
    except Exception as exc:
        raise ModelDirError(
            f"Cannot read the weights in {directory} ({exc}); the file is damaged."
        ) from exc
    if missing or unexpected:
        raise ModelDirError(
            f"The weights in {directory} do not fit the recorded architecture "
            f"({len(missing)} missing, {len(unexpected)} unexpected tensors); re-run the fit."
        )


def backbone_files(directory: Path) -> Path | None:
    files = Path(directory) / BACKBONE_FILES
    return files if files.is_dir() else None
