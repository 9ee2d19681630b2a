"""Manifests: tables whose rows name files (recordings, images) instead of holding texts.

A manifest has a path column (``--path-column``, or one column named ``path``, ``file``,
``filename``, ``audio``, ``recording``, ``image`` or ``filepath`` whose values name media
files), a label column and any others (a ``--group-column`` such as the speaker). Paths are
relative to the table's folder unless absolute. Files that are missing or unusable follow
the ``on_bad_input`` policy like files in class folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transferkit.data.audio import AUDIO
from transferkit.data.dataset import Dataset, Skipped, handle_bad_input
from transferkit.data.folders import MediaKind
from transferkit.data.images import IMAGES
from transferkit.errors import DataError

PATH_NAMES = ("path", "file", "filename", "filepath", "audio", "recording", "image", "wav")
KINDS = (AUDIO, IMAGES)


def path_column(
    columns: list[str], rows: list[dict[str, Any]], name: str, given: str | None
) -> tuple[str, MediaKind] | None:
    """The path column and the medium its files are, or ``None`` for a table of texts."""
    if given is not None and given not in columns:
        raise DataError(
            f"{name} has no column {given!r}; its columns are {', '.join(columns)}. Pass the "
            "right one with --path-column."
        )
    lowered = {c.lower(): c for c in columns}
    candidates = [given] if given else [lowered[n] for n in PATH_NAMES if n in lowered]
    for column in candidates:
        values = [str(r.get(column) or "").strip() for r in rows[:200]]
        values = [v for v in values if v]
        kind = next((k for k in KINDS if values and all(k.owns(Path(v)) for v in values)), None)
        if kind is not None:
            return column, kind
        if given:
            raise DataError(
                f"Column {given!r} of {name} does not name audio or image files (e.g. "
                f"{values[0] if values else 'nothing'!r}); give the column of file paths."
            )
    return None


def manifest_dataset(
    rows: list[dict[str, Any]],
    name: str,
    base: Path,
    found: tuple[str, MediaKind],
    label_col: str | None,
    on_bad_input: str,
    header_lines: int,
) -> tuple[Dataset, list[int]]:
    """The rows' files as a Dataset, and which rows were kept (for their other columns)."""
    column, kind = found
    inputs: list[Path] = []
    labels: list[str] = []
    origins: list[str] = []
    kept: list[int] = []
    skipped: list[Skipped] = []
    for i, row in enumerate(rows):
        where = f"{name} row {i + 1 + header_lines}"
        value = str(row.get(column) or "").strip()
        label = _value(row.get(label_col)) if label_col else "?"
        path = (base / value) if value and not Path(value).is_absolute() else Path(value)
        problem = (
            f"no file in column {column!r}"
            if not value
            else f"no label in column {label_col!r}"
            if not label
            else f"{value} does not exist"
            if not path.is_file()
            else None
        )
        problem = problem or kind.check(path)
        if problem:
            handle_bad_input(on_bad_input, where, problem, "fix or delete the row", skipped)
            continue
        inputs.append(path)
        labels.append(label)
        origins.append(f"{where} ({value})")
        kept.append(i)
    if not inputs:
        raise DataError(f"{name} has no usable rows (no file named in it can be used).")
    ds = Dataset(inputs, labels if label_col else None, kind.modality, origins, name, skipped)
    return ds, kept


def read_groups(
    ds: Dataset, rows: list[dict[str, Any]], kept: list[int], column: str, name: str
) -> Dataset:
    """``ds`` with the group of each kept row; a row without one is bad input."""
    groups = [_value(rows[i].get(column)) for i in kept]
    empty = [ds.origins[j] for j, g in enumerate(groups) if not g]
    if empty:
        raise DataError(
            f"{empty[0]} has no group in column {column!r}; fill it in (every example needs "
            "its group, or none can be kept apart)."
        )
    ds.groups = groups
    return ds


def must_have_column(columns: list[str], column: str, name: str, flag: str) -> None:
    if column not in columns:
        raise DataError(
            f"{name} has no column {column!r}; its columns are {', '.join(columns)}. Fix {flag}."
        )


def _value(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text.lower() in ("nan", "null") else text
