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
finished; the destination is claimed for the run before its work starts (``models.claim``:
one writer at a time, leftovers of a killed run tidied), and an existing one is replaced
only when asked and only when transferkit wrote it (it holds the ``.transferkit`` marker,
or is a model directory of an earlier version). ``config.json`` records the SHA-256 of the
weight files, checked on loading. This module knows files, not models: ``models.model``
builds the network from what it reads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transferkit.errors import ModelDirError
from transferkit.models import claim
from transferkit.models.record import FORMAT, ModelRecord
from transferkit.models.schema import CHECKED_FILES

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
BACKBONE_FILES = "backbone"
MARKER = ".transferkit"  # in every directory transferkit writes: what --overwrite may replace


def check_writable(out: Path, overwrite: bool) -> None:
    """Fail before any work if ``out`` exists and may not be replaced."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ModelDirError(f"{out} exists and is not a directory; choose another --out.")
    if not overwrite:
        raise ModelDirError(
            f"{out} already exists; choose another --out, or pass --overwrite to replace it."
        )
    if not written_by_transferkit(out):
        raise ModelDirError(
            f"{out} was not written by transferkit, and --overwrite replaces only what "
            "transferkit wrote; move it away or choose another --out."
        )


def written_by_transferkit(directory: Path) -> bool:
    """Holds transferkit's marker, is a model directory of an earlier version, or is empty."""
    if (directory / MARKER).is_file() or not any(directory.iterdir()):
        return True
    try:
        return json.loads((directory / CONFIG).read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def write_atomically(out: Path, fill: Callable[[Path], None], overwrite: bool = False) -> Path:
    """Create ``out`` by calling ``fill(tmp)`` on a temporary sibling, then renaming it;
    ``out`` is claimed meanwhile (if the caller does not hold the claim already)."""
    out = out.expanduser().absolute()
    with claim.claimed(out):
        check_writable(out, overwrite)
        token = uuid.uuid4().hex[:8]
        tmp = out.parent / f".{out.name}.partial-{token}"
        old = out.parent / f".{out.name}.old-{token}"
        tmp.mkdir()
        try:
            fill(tmp)
            (tmp / MARKER).write_text('{"written_by": "transferkit"}\n')
            _usual_permissions(tmp)
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


def _usual_permissions(directory: Path) -> None:
    """Every file as readable as the user's umask makes new files: some writers (the
    weights') create theirs private, and another user then met a directory with
    ``config.json`` but no readable weights."""
    mask = os.umask(0)
    os.umask(mask)
    for path in directory.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.chmod(path, 0o666 & ~mask)


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


def write_model_files(network: Any, backbone: Any, directory: Path) -> None:
    """The weights and the backbone's own files into ``directory``."""
    from safetensors.torch import save_model as save_weights

    save_weights(network, str(directory / WEIGHTS))
    backbone.save_files(directory / BACKBONE_FILES)


def model_digest(directory: Path) -> str:
    """SHA-256 naming the model a directory holds: its ``config.json``, which records the
    weights' SHA-256 (a directory from before those digests: the weights too); for an
    export, ``export.json`` and the graph; for a generator, ``generator.json``, which
    records the adapters' SHA-256."""
    h = hashlib.sha256()
    names = ["config.json", "export.json", "model.onnx", "generator.json"]
    try:
        if not json.loads((directory / CONFIG).read_text()).get("checksums"):
            names.append("model.safetensors")
    except (OSError, ValueError, AttributeError):
        names.append("model.safetensors")
    for name in names:
        if (directory / name).is_file():
            h.update(name.encode() + b"\0" + (directory / name).read_bytes())
    return h.hexdigest()


def write_config(record: ModelRecord, directory: Path) -> None:
    """``config.json``, with the digests of the weight files already in ``directory``."""
    digests = {n: file_digest(directory / n) for n in CHECKED_FILES if (directory / n).exists()}
    write_json(directory / CONFIG, dataclasses.replace(record, checksums=digests).to_dict())


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def check_digests(record: ModelRecord, directory: Path) -> None:
    """Each weight file must have the digest written at save time (directories saved
    before digests were recorded carry none, and load unchecked)."""
    for name, digest in record.checksums.items():
        path = directory / name
        if not path.is_file() or file_digest(path) != digest:
            raise ModelDirError(
                f"{path} is damaged or was changed after it was saved (its SHA-256 is not the "
                "one recorded in config.json); re-run the fit, or copy the directory again."
            )


def read_record(directory: Path) -> ModelRecord:
    """The record of a complete model directory (format 1 directories are upgraded)."""
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise ModelDirError(
            f"{directory} is not a model directory; give the --out folder of a fit."
        )
    config = directory / CONFIG
    if (directory / "generator.json").is_file() and not config.exists():
        raise ModelDirError(
            f"{directory} is a generator (fit --task generate), not a classifier; load it "
            "with transferkit.load(DIR) and call .generate(prompts)."
        )
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
    except RuntimeError as exc:
        if "size mismatch" in str(exc):
            raise ModelDirError(
                f"The weights in {directory} do not match its config.json (tensor sizes "
                "differ: were its classes, head or strategy edited?); re-run the fit."
            ) from None
        raise ModelDirError(
            f"Cannot read the weights in {directory} ({exc}); the file is damaged."
        ) from exc
    except Exception as exc:
        raise ModelDirError(
            f"Cannot read the weights in {directory} ({exc}); the file is damaged."
        ) from exc
    if missing or unexpected:
        raise ModelDirError(
            f"The weights in {directory} do not fit the recorded architecture "
            f"({len(missing)} missing, {len(unexpected)} unexpected tensors); re-run the fit."
        )
    import torch

    broken = [
        n
        for n, t in network.state_dict().items()
        if t.is_floating_point() and not bool(torch.isfinite(t).all())
    ]
    if broken:
        raise ModelDirError(
            f"The weights in {directory} hold values that are not numbers ({len(broken)} "
            f"tensors, first {broken[0]}); the file is damaged: re-run the fit."
        )


def backbone_files(directory: Path) -> Path | None:
    files = Path(directory) / BACKBONE_FILES
    return files if files.is_dir() else None
