"""What a model directory records about how its model was made: ``config.json``.

``ModelRecord`` is the typed form; ``to_dict`` writes it and ``from_dict`` reads it back,
validating it and upgrading directories written in an older format (docs/formats.md has
the schema and its history). Plug-in specific parts (a strategy's config and details, a
backbone's preprocessing, a head's description) are plain JSON objects that the plug-in
reads back itself.
"""

from __future__ import annotations

import datetime as _dt
import platform
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

from transferkit.errors import ModelDirError
from transferkit.models.schema import check_record

FORMAT = "transferkit-model"
FORMAT_VERSION = 2

_PACKAGES = (
    "transferkit",
    "torch",
    "torchvision",
    "timm",
    "transformers",
    "accelerate",
    "scikit-learn",
    "numpy",
    "safetensors",
    "peft",
)


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass
class StrategyRecord:
    name: str  # the strategy that ran
    asked: str  # the one the user asked for (``auto`` records what it picked in ``name``)
    config: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class CalibrationRecord:
    """Temperatures that divide each task's logits, and what they were fitted on."""

    temperatures: dict[str, float] = field(default_factory=dict)
    fitted_on: str = "nothing (not calibrated)"
    reasons: dict[str, str] = field(default_factory=dict)  # why each was kept, or T = 1

    def temperature(self, task: str) -> float:
        return float(self.temperatures.get(task, 1.0))


@dataclass
class ModelRecord:
    """Everything ``config.json`` holds; see docs/formats.md."""

    classes: list[str]
    backbone: dict[str, Any]  # Backbone.describe(): source, modality, preprocessing, ...
    backbone_frozen: bool  # the backbone's weights are exactly the pretrained ones
    channels_last: bool
    head: dict[str, Any]  # the head's spec(): type, in_features, tasks, ...
    strategy: StrategyRecord
    data: dict[str, Any]  # {"config": DataConfig.to_dict(), "summary": Splits.summary()}
    seed: int
    notes: list[str] = field(default_factory=list)
    calibration: CalibrationRecord = field(default_factory=CalibrationRecord)
    familiarity: dict[str, Any] | None = None
    versions: dict[str, str] = field(default_factory=library_versions)
    created: str = field(
        default_factory=lambda: _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    )
    task: str = "classification"
    checksums: dict[str, str] = field(default_factory=dict)  # file -> SHA-256, at save time

    @property
    def tasks(self) -> dict[str, list[str]]:
        """Task name -> classes, in the order of the head's logits."""
        return {t: list(c) for t, c in self.head["tasks"].items()}

    @property
    def modality(self) -> str:
        return str(self.backbone["modality"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "transferkit_version": self.versions.get("transferkit", "unknown"),
            **asdict(self),
        }

    @classmethod
    def from_dict(cls, raw: Any, where: str = "config.json") -> ModelRecord:
        """Read a ``config.json`` of this or an earlier format; anything else is a
        ``ModelDirError`` naming what is wrong."""
        data = _checked_format(raw, where)
        if data["format_version"] == 1:
            data = upgrade_format1(data)
        check_record(data, where)
        try:
            strategy = StrategyRecord(**data["strategy"])
            calibration = CalibrationRecord(**(data.get("calibration") or {}))
            fields = {k: data[k] for k in _REQUIRED}
            optional = {k: data[k] for k in _OPTIONAL if k in data}
        except (KeyError, TypeError) as exc:
            raise ModelDirError(
                f"{where} is damaged or was not written by transferkit: {exc} is missing or "
                "malformed."
            ) from None
        return cls(**fields, **optional, strategy=strategy, calibration=calibration)


_REQUIRED = ("classes", "backbone", "backbone_frozen", "channels_last", "head", "data", "seed")
_OPTIONAL = ("notes", "familiarity", "versions", "created", "task", "checksums")


def _checked_format(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ModelDirError(f"{where} was not written by transferkit; give a transferkit model.")
    version = raw.get("format_version")
    if version not in (1, FORMAT_VERSION) or isinstance(version, bool):
        made_by = raw.get("transferkit_version", "an unknown version")
        raise ModelDirError(
            f"{where} was written by transferkit {made_by} in model format {version}, but this "
            f"transferkit reads formats 1 to {FORMAT_VERSION}; re-run the fit, or load it with "
            f"transferkit {made_by}."
        )
    return {k: v for k, v in raw.items() if k not in ("format", "transferkit_version")}


def upgrade_format1(data: dict[str, Any]) -> dict[str, Any]:
    """Format 1 (transferkit 0.1.0) recorded every head as linear and kept the real
    architecture in the strategy's details: the tasks of a multi-task head, the width of a
    bottleneck; calibration was one temperature for the main task."""
    details = (data.get("strategy") or {}).get("details") or {}
    head = dict(data.get("head") or {})
    width = head.get("in_features")
    tasks = details.get("tasks") or {"label": list(data.get("classes") or [])}
    if details.get("tasks"):
        head = {"type": "multi", "in_features": width, "tasks": tasks}
    elif "bottleneck" in details:
        head = {"type": "bottleneck", "in_features": width, "width": details["bottleneck"]}
        head["tasks"] = tasks
    else:
        head = {"type": "linear", "in_features": width, "tasks": tasks}
    old = data.get("calibration") or {}
    main = next(iter(tasks))
    calibration = {
        "temperatures": {main: float(old.get("temperature", 1.0))},
        "fitted_on": old.get("fitted_on", "nothing (not calibrated)"),
    }
    strategy = dict(data.get("strategy") or {})
    strategy.setdefault("asked", strategy.get("name"))
    return {**data, "head": head, "calibration": calibration, "strategy": strategy}
