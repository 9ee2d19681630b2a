"""Model directories: written atomically, read back to identical predictions.

Layout::

    MODEL_DIR/
      config.json         classes, backbone source and preprocessing, strategy and every
                          hyper-parameter, data summary, seed, library versions
      model.safetensors   all weights (no pickle anywhere)
      backbone/           what rebuilding the architecture needs (HF config, tokenizer)
      metrics.json        what the run measured (written by fit)
      predictions.csv     the run's validation and test predictions (written by fit)

A directory is assembled under a hidden temporary name beside its destination and renamed
into place only when complete, so an interrupted run never leaves a directory that looks
finished, and an existing one is replaced only when asked.
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

FORMAT = "transferkit-model"
FORMAT_VERSION = 1
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


def fill_model_files(model: Any, directory: Path) -> None:
    from safetensors.torch import save_model as save_weights

    record = {"format": FORMAT, "format_version": FORMAT_VERSION, **model.record}
    write_json(directory / CONFIG, record)
    save_weights(model.classifier, str(directory / WEIGHTS))
    model.backbone.save_files(directory / BACKBONE_FILES)


def save_model(
    model: Any, out: Path, overwrite: bool = False, extra: Callable[[Path], None] | None = None
) -> Path:
    def fill(tmp: Path) -> None:
        fill_model_files(model, tmp)
        if extra is not None:
            extra(tmp)

    return write_atomically(out, fill, overwrite)


def read_record(directory: Path) -> dict[str, Any]:
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
        record = json.loads(config.read_text())
    except json.JSONDecodeError:
        raise ModelDirError(
            f"{config} is not valid JSON; the model directory is damaged."
        ) from None
    if record.get("format") != FORMAT:
        raise ModelDirError(
            f"{directory} was not written by transferkit; give a transferkit model folder."
        )
    version = record.get("format_version")
    if version != FORMAT_VERSION:
        made_by = record.get("transferkit_version", "an unknown version")
        raise ModelDirError(
            f"{directory} was written by transferkit {made_by} in model format {version}, but "
            f"this transferkit reads format {FORMAT_VERSION}; re-run the fit, or load it with "
            f"transferkit {made_by}."
        )
    return record


def load_model(directory: str | Path) -> Any:
    """Rebuild a saved model; its predictions equal those its run reported."""
    from safetensors.torch import load_model as load_weights

    from transferkit.backbones import create_backbone
    from transferkit.backbones.preprocessing import ImagePreprocessing
    from transferkit.models.classifier import Classifier
    from transferkit.models.familiarity import FILE as FAMILIARITY_FILE
    from transferkit.models.familiarity import Familiarity
    from transferkit.models.model import TransferModel
    from transferkit.strategies import STRATEGIES

    directory = Path(directory).expanduser()
    record = read_record(directory)
    bb = record["backbone"]
    files = directory / BACKBONE_FILES
    backbone = create_backbone(
        bb["source"], pretrained=False, files=files if files.is_dir() else None
    )
    if bb["modality"] == "image":
        backbone.preprocessing = ImagePreprocessing.from_dict(bb["preprocessing"])
    classifier = Classifier(backbone, len(record["classes"]))
    strategy = record.get("strategy", {}).get("name")
    if strategy in STRATEGIES:
        STRATEGIES.get(strategy).rebuild(classifier, record)
    try:
        missing, unexpected = load_weights(classifier, str(directory / WEIGHTS), strict=False)
    except Exception as exc:
        raise ModelDirError(
            f"Cannot read the weights in {directory} ({exc}); the file is damaged."
        ) from exc
    if missing or unexpected:
        raise ModelDirError(
            f"The weights in {directory} do not fit the recorded architecture "
            f"({len(missing)} missing, {len(unexpected)} unexpected tensors); re-run the fit."
        )
    classifier.eval()
    if record.get("channels_last"):
        backbone.use_channels_last(True)
    model = TransferModel(classifier, record["classes"], record)
    if record.get("familiarity") and (directory / FAMILIARITY_FILE).exists():
        model.familiarity = Familiarity.load(directory, record["familiarity"])
    return model
