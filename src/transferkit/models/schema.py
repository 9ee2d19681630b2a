"""The schema of ``config.json``, checked before anything is built from it.

A model directory is data that may come from anyone, so every field is checked for its
type, and every size that turns into memory or work (image sides, head widths, class
counts, temperatures) against a bound, before a network is built: a directory that breaks
any of it is "damaged or not written by transferkit", named with the first field at fault.
Plug-in specific objects (a strategy's config) are checked by their plug-in when it reads
them back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from transferkit.errors import ModelDirError

MAX_CLASSES = 100_000
MAX_NAME = 1_000  # characters in a class name, a source, a note
MAX_WIDTH = 65_536  # features into a head, or a bottleneck's width
MAX_IMAGE_SIDE = 2_048  # pixels: a 2,048 x 2,048 RGB float image is 50 MB
MAX_TEMPERATURE = 1e3
MODALITIES = ("image", "text", "audio", "features")
INTERPOLATIONS = ("bilinear", "bicubic", "nearest")
CHECKED_FILES = ("model.safetensors", "familiarity.safetensors")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Check = Callable[[Any], str | None]  # None when the value is fine, else what is wrong


def _string(value: Any, limit: int = MAX_NAME) -> str | None:
    if not isinstance(value, str):
        return f"is {type(value).__name__}, not text"
    return None if len(value) <= limit else f"is longer than {limit:,} characters"


def _integer(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return f"is {type(value).__name__}, not a whole number"
        return None if low <= value <= high else f"is {value}, outside {low}..{high:,}"

    return check


def _number(low: float, high: float, *, open_low: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return f"is {type(value).__name__}, not a number"
        if not math.isfinite(value) or value > high or value < low or (open_low and value == low):
            return f"is {value}, outside {'(' if open_low else '['}{low:g}, {high:g}]"
        return None

    return check


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"is {type(value).__name__}, not true/false"


def _mapping(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"is {type(value).__name__}, not an object"


def _names(value: Any, most: int = MAX_CLASSES) -> str | None:
    if not isinstance(value, list) or not value:
        return "is not a non-empty list"
    if len(value) > most:
        return f"has {len(value):,} entries, more than {most:,}"
    for item in value:
        if (wrong := _string(item)) is not None:
            return f"has an entry that {wrong}"
    return None if len(set(value)) == len(value) else "repeats a name"


def _classes(value: Any) -> str | None:
    wrong = _names(value)
    return wrong if wrong or len(value) >= 2 else "has fewer than two classes"


def _notes(value: Any) -> str | None:
    if not isinstance(value, list) or any(not isinstance(n, str) for n in value):
        return "is not a list of text"
    return None


def _fields(spec: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    """An object whose listed keys pass their checks; other keys are left to their owner."""

    def check(value: Any) -> str | None:
        if (wrong := _mapping(value)) is not None:
            return wrong
        for key in required:
            if key not in value:
                return f"has no {key!r}"
        for key, sub in spec.items():
            if key in value and (wrong := sub(value[key])) is not None:
                return f"{key!r} {wrong}"
        return None

    return check


def _preprocessing(value: Any) -> str | None:
    side = _integer(1, MAX_IMAGE_SIDE)
    channel = _number(-1e3, 1e3)
    spec = {
        "size": side,
        "resize": side,
        "interpolation": _string,
        "modality": _string,
        "resampler": _string,
    }
    if (wrong := _fields(spec, ("size", "resize", "mean", "std"))(value)) is not None:
        return wrong
    unknown = set(value) - {*spec, "mean", "std"}
    if unknown:
        return f"has unknown keys {sorted(unknown)}"
    for key in ("mean", "std"):
        stats = value[key]
        if not isinstance(stats, list) or len(stats) != 3 or any(channel(s) for s in stats):
            return f"{key!r} is not three finite numbers"
    if any(s == 0 for s in value["std"]):
        return "'std' has a zero"
    if value.get("resampler", "tensor") not in ("pil", "tensor"):
        return f"'resampler' is {value['resampler']!r}, not pil or tensor"
    if value.get("interpolation", "bilinear") not in INTERPOLATIONS:
        return (
            f"'interpolation' is {value['interpolation']!r}, not one of {', '.join(INTERPOLATIONS)}"
        )
    return None


def _backbone(value: Any) -> str | None:
    spec = {"source": _string, "modality": _string, "preprocessing": _mapping}
    if (wrong := _fields(spec, ("source", "modality"))(value)) is not None:
        return wrong
    if value["modality"] not in MODALITIES:
        return f"'modality' is {value['modality']!r}, not one of {', '.join(MODALITIES)}"
    if value["modality"] == "image":
        if "preprocessing" not in value:
            return "has no 'preprocessing'"
        if (wrong := _preprocessing(value["preprocessing"])) is not None:
            return f"'preprocessing' {wrong}"
    return None


def _tasks(value: Any) -> str | None:
    if not isinstance(value, dict) or not value or len(value) > 64:
        return "is not an object of 1 to 64 tasks"
    for task, classes in value.items():
        if (wrong := _string(task) or _classes(classes)) is not None:
            return f"task {task!r} {wrong}"
    return None


_HEAD = _fields(
    {"type": _string, "in_features": _integer(1, MAX_WIDTH), "width": _integer(1, MAX_WIDTH)},
    ("type", "in_features", "tasks"),
)


def _head(value: Any) -> str | None:
    if (wrong := _HEAD(value)) is not None:
        return wrong
    wrong = _tasks(value["tasks"])
    return None if wrong is None else f"'tasks' {wrong}"


_STRATEGY = _fields(
    {"name": _string, "asked": _string, "config": _mapping, "details": _mapping},
    ("name", "config"),
)


def _temperatures(value: Any) -> str | None:
    if (wrong := _mapping(value)) is not None:
        return wrong
    positive = _number(0.0, MAX_TEMPERATURE, open_low=True)
    for task, t in value.items():
        if (wrong := positive(t)) is not None:
            return f"{task!r} {wrong}"
    return None


_CALIBRATION = _fields({"temperatures": _temperatures, "fitted_on": _string, "reasons": _mapping})
_FAMILIARITY = _fields(
    {
        "k": _integer(1, 10_000),
        "threshold": _number(-1e30, 1e30),
        "quantile": _number(0.0, 1.0),
        "reference": _string,
    },
    ("k", "threshold", "quantile", "reference"),
)


def _checksums(value: Any) -> str | None:
    if (wrong := _mapping(value)) is not None:
        return wrong
    for name, digest in value.items():
        if name not in CHECKED_FILES:
            return f"names {name!r}, not one of {', '.join(CHECKED_FILES)}"
        if not isinstance(digest, str) or not _SHA256.match(digest):
            return f"{name!r} is not a SHA-256 digest"
    return None


#: every key config.json may hold (besides format and transferkit_version), with its check
FIELDS: dict[str, Check] = {
    "format_version": _integer(1, 1_000),
    "classes": _classes,
    "backbone": _backbone,
    "backbone_frozen": _boolean,
    "channels_last": _boolean,
    "head": _head,
    "strategy": _STRATEGY,
    "data": _mapping,
    "seed": _integer(-(2**63), 2**64),
    "notes": _notes,
    "calibration": lambda v: None if v is None else _CALIBRATION(v),
    "familiarity": lambda v: None if v is None else _FAMILIARITY(v),
    "versions": _mapping,
    "created": _string,
    "task": _string,
    "checksums": _checksums,
}


def check_record(data: dict[str, Any], where: str) -> None:
    """Raise ``ModelDirError`` naming the first field of ``data`` that breaks the schema."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        _damaged(where, f"it has unknown keys {unknown}")
    for key, check in FIELDS.items():
        if key in data and (wrong := check(data[key])) is not None:
            _damaged(where, f"{key!r} {wrong}")


def _damaged(where: str, what: str) -> None:
    raise ModelDirError(
        f"{where} is damaged or was not written by transferkit: {what}; re-run the fit that "
        "made it."
    )
