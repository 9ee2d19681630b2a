"""Data given as Python objects rather than paths, as a scikit-learn user holds it:
``fit(X, y)`` with ``X`` a list of texts, of image paths or of PIL images, a uint8 array of
images (``N, H, W[, C]``), a 2-D numeric array of feature vectors, or a pandas DataFrame
with named columns; ``y`` the labels (or a column of the DataFrame). Validation and test
data come the same way (``X_val, y_val``, ``X_test, y_test``).

What comes out is the same ``Dataset`` a folder or a table gives, checked by the same
rules (a bad example is skipped and listed, or stops the run under
``on_bad_input="error"``), so splitting, sampling, seeding and the content-keyed feature
cache treat it exactly as data read from disk: the same array embeds once.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from transferkit.data.audio import MIN_RATE, check_audio, is_audio_file
from transferkit.data.dataset import Dataset, handle_bad_input
from transferkit.data.identity import content_key
from transferkit.data.images import check_image, is_image_file
from transferkit.data.tables import LABEL_NAMES, table_dataset
from transferkit.errors import DataError

#: the keyword names of held-out data given in memory, and the split each one fills
HELD_OUT = {"X_val": "y_val", "X_test": "y_test"}
#: every keyword that carries data in memory
DATA_OPTIONS = frozenset({"y", *HELD_OUT, *HELD_OUT.values()})


@dataclass
class InMemory:
    """Examples and labels as the caller passed them; read by ``load_splits``."""

    X: Any
    y: Any = None
    X_val: Any = None
    y_val: Any = None
    X_test: Any = None
    y_test: Any = None

    def __str__(self) -> str:
        return "the data given in memory"

    def parts(
        self, text_column: str | None, label_column: str | None, on_bad_input: str, tasks=None
    ) -> dict[str, Dataset | None]:
        """``train``, ``val`` and ``test`` (the last two ``None`` unless given)."""
        read = {"text_column": text_column, "label_column": label_column}
        read.update(on_bad_input=on_bad_input, tasks=tasks)
        return {
            "train": to_dataset(self.X, self.y, "X", **read),
            "val": None
            if self.X_val is None
            else to_dataset(self.X_val, self.y_val, "X_val", **read),
            "test": None
            if self.X_test is None
            else to_dataset(self.X_test, self.y_test, "X_test", **read),
        }

    def has_labels(self, label_column: str | None = None) -> bool:
        """Labels given as ``y``, or a DataFrame column that holds them."""
        if self.y is not None:
            return True
        if not _is_frame(self.X):
            return False
        columns = [str(c) for c in self.X.columns]
        return label_column in columns or any(c.lower() in LABEL_NAMES for c in columns)

    def inputs(self, text_column: str | None, on_bad_input: str) -> Dataset:
        """The examples of ``X`` (and of ``X_val``, ``X_test``), without labels."""
        parts = [
            to_dataset(
                x, None, role, text_column=text_column, on_bad_input=on_bad_input, need_label=False
            )
            for x, role in ((self.X, "X"), (self.X_val, "X_val"), (self.X_test, "X_test"))
            if x is not None
        ]
        return Dataset(
            [x for ds in parts for x in ds.inputs],
            None,
            parts[0].modality,
            [o for ds in parts for o in ds.origins],
            name=str(self),
            skipped=[s for ds in parts for s in ds.skipped],
        )

    @property
    def width(self) -> int:
        """How many numbers each example of ``X`` holds, for feature vectors."""
        return int(np.shape(self.X[0])[0])

    def digest(self) -> str:
        """Equal for equal contents (what a resumed run must match), whatever the objects."""
        h = hashlib.blake2b(digest_size=16)
        for name in ("X", "y", "X_val", "y_val", "X_test", "y_test"):
            h.update(name.encode() + b"=" + digest(getattr(self, name)).encode())
        return h.hexdigest()


def labels_in_second_place(data: Any, second: Any, names_listed: bool = False) -> bool:
    """Whether a workflow's second positional argument is ``y``: ``fit(X, y, model=...)``
    puts the labels where a path's caller puts the model name. With data in memory, a
    second argument that is no name is ``y`` (for ``rank``, whose second argument may list
    names, ``names_listed``: one as long as ``X``)."""
    if isinstance(data, str | Path) or second is None or isinstance(second, str | dict):
        return False
    if not hasattr(second, "__len__"):
        return False
    return not names_listed or (hasattr(data, "__len__") and len(second) == len(data))


def given_data(data: Any, options: dict[str, Any]) -> Any:
    """``data`` as the workflows read it: a path as it is, data in memory as ``InMemory``
    (taking ``y``, ``X_val``, ``y_val``, ``X_test`` and ``y_test`` out of ``options``)."""
    return in_memory(data, options.pop("y", None), options)


def in_memory(data: Any, y: Any, options: dict[str, Any]) -> Any:
    """``data`` as ``InMemory`` when it is not a path (taking ``X_val``/``y_val``/
    ``X_test``/``y_test`` out of ``options``), else ``data`` itself."""
    held = {k: options.pop(k) for k in (*HELD_OUT, *HELD_OUT.values()) if k in options}
    if isinstance(data, InMemory):
        return data
    if isinstance(data, str | Path):
        if y is not None or held:
            raise DataError(
                f"{data} is a path, which holds its own labels and splits; give y, X_val or "
                "X_test only with data in memory."
            )
        return data
    for x_name, y_name in HELD_OUT.items():
        if (held.get(x_name) is None) != (held.get(y_name) is None):
            raise DataError(f"Give {x_name} and {y_name} together, or neither.")
    return InMemory(data, y, **held)


def digest(obj: Any) -> str:
    """A digest of an in-memory object's content: arrays, sequences of inputs, frames."""
    if obj is None:
        return "none"
    if _is_frame(obj):
        return digest([list(map(str, obj.columns)), *obj.astype(str).values.tolist()])
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "biuf":
        return content_key(obj)
    h = hashlib.blake2b(digest_size=16)
    for item in _as_list(obj):
        key = content_key(item) if isinstance(item, str | Path | Image.Image) else repr(item)
        h.update(key.encode() + b"\0")
    return h.hexdigest()


def to_dataset(
    X: Any,
    y: Any,
    role: str,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    on_bad_input: str = "skip",
    tasks: list[str] | None = None,
    need_label: bool = True,
) -> Dataset:
    """One in-memory data set as a ``Dataset``: the examples of ``X`` with the labels of
    ``y`` (or of a DataFrame's label column)."""
    if _is_frame(X):
        columns = [str(c) for c in X.columns]
        rows = [dict(zip(columns, r, strict=True)) for r in X.itertuples(index=False)]
        if y is not None:  # the labels join the rows, so a row and its label go together
            labels = _labels(y, role, len(rows))
            label_column, tasks = "y" + role[1:], None
            while label_column in columns:
                label_column += "_"
            for row, label in zip(rows, labels, strict=True):
                row[label_column] = label
            columns = [*columns, label_column]
        return table_dataset(
            columns, rows, role, text_column, label_column, on_bad_input, need_label, tasks
        )
    inputs, modality = examples(X, role)
    ds, kept = checked(inputs, modality, role, on_bad_input)
    if y is None:
        if need_label:
            raise DataError(f"{role} has no labels; give y (one label per example).")
        return ds
    labels = _labels(y, role, len(inputs))
    return _labelled(ds, [labels[i] for i in kept], on_bad_input)


def examples(X: Any, role: str = "X") -> tuple[list[Any], str]:
    """The examples of ``X`` and their modality ("text", "image", "audio" or "features").
    Recordings are paths of audio files or ``(samples, sample_rate)`` pairs."""
    if isinstance(X, str | Path):
        raise DataError(f"{role} is one path; give a list of examples, or the path as data.")
    if isinstance(X, np.ndarray) and X.dtype.kind in "biuf":
        return _from_array(X, role)
    items = _as_list(X)
    if not items:
        raise DataError(f"{role} is empty; give at least one example per class.")
    if all(isinstance(x, Image.Image) for x in items):
        return [x if x.mode == "RGB" else x.convert("RGB") for x in items], "image"
    if all(isinstance(x, Path) for x in items):
        return [x.expanduser() for x in items], _media(items)
    if all(isinstance(x, str) for x in items):
        for owns, modality in ((is_image_file, "image"), (is_audio_file, "audio")):
            if all(owns(Path(x)) and Path(x).expanduser().is_file() for x in items):
                return [Path(x).expanduser() for x in items], modality
        return list(items), "text"
    if all(_is_recording(x) for x in items):
        return [(np.asarray(x[0], dtype=np.float32), int(x[1])) for x in items], "audio"
    if all(isinstance(x, list | tuple | np.ndarray) for x in items):
        return _from_array(np.asarray(items), role)
    odd = next(x for x in items if not isinstance(x, type(items[0])))
    raise DataError(
        f"{role} mixes {type(items[0]).__name__} and {type(odd).__name__} examples; give texts, "
        "image paths, PIL images or arrays, one kind at a time."
    )


def _media(paths: list[Path]) -> str:
    return "audio" if all(is_audio_file(p) for p in paths) else "image"


def _is_recording(x: Any) -> bool:
    return (
        isinstance(x, tuple)
        and len(x) == 2
        and isinstance(x[0], np.ndarray)
        and x[0].ndim in (1, 2)
        and isinstance(x[1], int | np.integer)
    )


def _from_array(X: np.ndarray, role: str) -> tuple[list[Any], str]:
    if X.ndim == 2:
        return [row.astype(np.float32) for row in X], "features"
    if X.ndim in (3, 4) and X.dtype != np.uint8:
        raise DataError(
            f"{role} is an array of images of type {X.dtype}; give uint8 pixels (0 to 255), "
            "e.g. (x * 255).round().astype('uint8')."
        )
    if X.ndim == 3 or (X.ndim == 4 and X.shape[-1] in (1, 3, 4)):
        grey = X.ndim == 3 or X.shape[-1] == 1
        frames = X.reshape(X.shape[:3]) if grey else X
        return [Image.fromarray(f).convert("RGB") for f in frames], "image"
    raise DataError(
        f"{role} is an array of shape {X.shape}; give images as (N, H, W) or (N, H, W, C) "
        "with 1, 3 or 4 channels, or feature vectors as (N, D)."
    )


def checked(
    inputs: list[Any], modality: str, role: str, on_bad_input: str
) -> tuple[Dataset, list[int]]:
    """The usable examples, and where they stand in ``inputs``; the others skipped and
    listed (or an error, by the policy)."""
    keep, origins, skipped = [], [], []
    for i, x in enumerate(inputs):
        where = f"{role}[{i}]"
        problem = _problem(x, modality)
        if problem is not None:
            handle_bad_input(on_bad_input, where, problem, "fix or drop that example", skipped)
            continue
        keep.append(i)
        origins.append(where)
    if not keep:
        raise DataError(f"{role} has no usable example ({skipped[0].where}: {skipped[0].reason}).")
    ds = Dataset([inputs[i] for i in keep], None, modality, origins, name=role, skipped=skipped)
    return ds, keep


def _problem(x: Any, modality: str) -> str | None:
    if modality == "text":
        return None if x.strip() else "empty text"
    if modality == "features":
        return None if np.isfinite(x).all() else "holds NaN or infinity"
    if isinstance(x, Path):
        if not x.is_file():
            return f"no such {'recording' if modality == 'audio' else 'image file'}"
        return check_audio(x) if modality == "audio" else check_image(x)
    if modality == "audio":
        samples, rate = x
        if samples.size == 0 or rate < MIN_RATE:
            return "recording has no samples" if samples.size == 0 else f"rate {rate} Hz is too low"
        if not np.isfinite(samples).all():
            return "holds NaN or infinity"
    return None


def _labelled(ds: Dataset, labels: list[str], on_bad_input: str) -> Dataset:
    """``ds`` with one label per example; an example whose label is missing is skipped."""
    keep, skipped = [], list(ds.skipped)
    for i, label in enumerate(labels):
        if label == "":
            handle_bad_input(on_bad_input, ds.origins[i], "no label", "give it one", skipped)
            continue
        keep.append(i)
    out = ds.subset(keep, ds.name)
    kept = [labels[i] for i in keep]
    return Dataset(out.inputs, kept, out.modality, out.origins, name=ds.name, skipped=skipped)


def _labels(y: Any, role: str, count: int) -> list[str]:
    """Labels as the strings transferkit uses for classes, one per example of ``role``; a
    missing one (None, NaN) is ""."""
    y_role = "y" + role[1:]
    values = y.to_numpy() if hasattr(y, "to_numpy") else y
    if isinstance(values, np.ndarray) and values.ndim > 1:
        if values.ndim == 2 and values.shape[1] == 1:
            values = values.ravel()
        else:
            raise DataError(f"{y_role} has shape {values.shape}; give one label per example.")
    labels = [_label(v, y_role) for v in _as_list(values)]
    if len(labels) != count:
        raise DataError(
            f"{role} holds {count} examples but {y_role} {len(labels)} labels; give one label "
            "per example."
        )
    return labels


def _label(value: Any, y_role: str) -> str:
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise DataError(f"{y_role} holds {value}, which is no class; give finite labels.")
    if isinstance(value, list | tuple | dict | set | np.ndarray):
        raise DataError(
            f"{y_role} holds a {type(value).__name__} as a label; give one label per example "
            "(a multi-label target is not supported)."
        )
    return str(value).strip()


def _is_frame(obj: Any) -> bool:
    return hasattr(obj, "columns") and hasattr(obj, "itertuples")


def _as_list(obj: Any) -> list[Any]:
    if hasattr(obj, "tolist") and not isinstance(obj, Image.Image):
        return list(obj.tolist())
    try:
        return list(obj)
    except TypeError:
        raise DataError(
            f"Cannot read examples from a {type(obj).__name__}; give a list, an array or a "
            "DataFrame."
        ) from None


__all__ = [
    "InMemory",
    "checked",
    "digest",
    "examples",
    "given_data",
    "in_memory",
    "labels_in_second_place",
    "to_dataset",
]
