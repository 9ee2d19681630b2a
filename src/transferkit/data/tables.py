"""Text tables: CSV, TSV or JSONL with a text column and a label column."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from transferkit.data.dataset import Dataset, handle_bad_input
from transferkit.data.manifests import manifest_dataset, must_have_column, path_column, read_groups
from transferkit.errors import DataError

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson")
TEXT_NAMES = ("text", "sentence", "review", "content", "document", "utterance", "body", "comment")
LABEL_NAMES = ("label", "labels", "class", "category", "target", "sentiment", "y")

#: where ``csv.DictReader`` puts the fields of a row beyond the header's
_EXTRA = "\0extra fields"

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def is_table_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in TABLE_SUFFIXES


def read_rows(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and rows of a CSV, TSV or JSONL file."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            rows = []
            with open(path, encoding="utf-8-sig") as fh:
                for n, line in enumerate(fh, 1):
                    if line.strip():
                        try:
                            row = json.loads(line)
                        except json.JSONDecodeError as exc:
                            raise DataError(
                                f"{path.name} line {n} is not valid JSON ({exc.msg}); fix it."
                            ) from None
                        if not isinstance(row, dict):
                            raise DataError(
                                f"{path.name} line {n} is not a JSON object of column names "
                                'to values (e.g. {"text": "...", "label": "..."}); fix it.'
                            )
                        rows.append(row)
            columns = list(dict.fromkeys(k for r in rows for k in r))
            return columns, rows
        with open(path, encoding="utf-8-sig", newline="") as fh:  # -sig: a BOM is not text
            delimiter = "\t" if suffix == ".tsv" else ","
            reader = csv.DictReader(
                fh,
                delimiter=delimiter,
                quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL,
                restkey=_EXTRA,
            )
            rows = []
            for row in reader:
                if _EXTRA in row:
                    raise DataError(
                        f"{path.name} line {reader.line_num} has more fields than its header; "
                        + (
                            "put quotes around texts that hold commas."
                            if delimiter == ","
                            else "a tab inside a text splits it; remove it."
                        )
                    )
                rows.append(row)
            columns = list(reader.fieldnames or [])
            repeated = sorted({c for c in columns if columns.count(c) > 1})
            if repeated:
                raise DataError(
                    f"{path.name} has the column {repeated[0]!r} twice in its header; rename "
                    "one of them."
                )
            return columns, rows
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text; re-save it as UTF-8.") from None


def pick_columns(
    columns: list[str],
    rows: list[dict[str, Any]],
    path: Path,
    text_column: str | None,
    label_column: str | None,
    need_label: bool = True,
) -> tuple[str, str | None]:
    """The text and label columns: as given, or detected when only one choice is sensible."""
    for given, what in ((text_column, "text"), (label_column, "label")):
        if given is not None and given not in columns:
            raise DataError(
                f"{path.name} has no column {given!r}; its columns are {', '.join(columns)}. "
                f"Pass the right one with --{what}-column."
            )
    if text_column is not None and text_column == label_column:
        raise DataError(
            f"--text-column and --label-column both name {text_column!r} of {path.name}; "
            "the labels cannot be the text, so name two different columns."
        )
    label = label_column or by_name(columns, LABEL_NAMES)
    if label is None and need_label:
        raise DataError(
            f"Cannot tell which column of {path.name} holds the labels (columns: "
            f"{', '.join(columns)}); pass --label-column NAME."
        )
    text = text_column or by_name([c for c in columns if c != label], TEXT_NAMES)
    if text is None:
        candidates = [c for c in columns if c != label and _mostly_text(rows, c)]
        if len(candidates) != 1:
            raise DataError(
                f"Cannot tell which column of {path.name} holds the text (columns: "
                f"{', '.join(columns)}); pass --text-column NAME."
            )
        text = candidates[0]
    return text, label


def by_name(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    for n in names:
        if n in lowered:
            return lowered[n]
    return None


def _mostly_text(rows: list[dict[str, Any]], column: str) -> bool:
    sample = [r.get(column) for r in rows[:200]]
    words = [len(str(v).split()) for v in sample if isinstance(v, str) and v.strip()]
    return len(words) > len(sample) / 2 and sum(words) / max(1, len(words)) >= 2


#: how exported tables spell a missing value (pandas' NaN, SQL's NULL): no label, not a class
MISSING = frozenset({"nan", "null"})


def _label(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text.lower() in MISSING else text


def _not_a_value(row: dict[str, Any], columns: list[str]) -> str | None:
    """The first column of a JSONL row holding a list or an object, which is no text or
    label (``str()`` would make a class of its Python spelling)."""
    for c in columns:
        if isinstance(row.get(c), list | dict):
            kind = "a list" if isinstance(row[c], list) else "an object"
            return f"column {c!r} holds {kind}, not a text or a label"
    return None


def _one_spelling_per_number(labels: list[str], name: str, column: str) -> None:
    """``1`` and ``1.0`` in one label column would be two classes of one number."""
    spellings: dict[float, set[str]] = {}
    for label in set(labels):
        try:
            spellings.setdefault(float(label), set()).add(label)
        except ValueError:
            continue
    clash = next((sorted(s) for s in spellings.values() if len(s) > 1), None)
    if clash:
        raise DataError(
            f"{name} spells one label of column {column!r} as "
            f"{' and '.join(repr(x) for x in clash)}, which would make them two classes; "
            "write each label one way."
        )


def read_table(
    path: Path,
    text_column: str | None,
    label_column: str | None,
    on_bad_input: str,
    need_label: bool = True,
    tasks: list[str] | None = None,
    columns_given: dict[str, str | None] | None = None,
) -> Dataset:
    """A table as a Dataset; with ``tasks``, every named label column is read (the first is
    the main label) and a row missing any of them is a bad row. ``columns_given`` may name
    the ``path`` column of a manifest (``data.manifests``) and the ``group`` column."""
    columns, rows = read_rows(path)
    if not rows:
        raise DataError(f"{path} has no rows; give a file with a header and one row per example.")
    header_lines = 0 if path.suffix.lower() in (".jsonl", ".ndjson") else 1
    return table_dataset(
        columns,
        rows,
        path.name,
        text_column,
        label_column,
        on_bad_input,
        need_label,
        tasks,
        header_lines,
        columns_given,
        path.parent,
    )


def table_dataset(
    columns: list[str],
    rows: list[dict[str, Any]],
    name: str,
    text_column: str | None,
    label_column: str | None,
    on_bad_input: str,
    need_label: bool = True,
    tasks: list[str] | None = None,
    header_lines: int = 0,
    columns_given: dict[str, str | None] | None = None,
    base: Path | None = None,
) -> Dataset:
    """Rows of named columns (a table file's, a DataFrame's) as a Dataset; ``name`` names
    the table in messages and origins ("train.csv row 12"). A manifest's paths are
    relative to ``base``."""
    given = columns_given or {}
    group = given.get("group")
    if group is not None:
        must_have_column(columns, group, name, "--group-column")
    media = path_column(columns, rows, name, given.get("path"))
    if media is not None:
        if tasks:
            raise DataError(f"{name} names files; --tasks applies to tables of texts, drop it.")
        label_col = label_column or by_name([c for c in columns if c != media[0]], LABEL_NAMES)
        if label_col is not None:
            must_have_column(columns, label_col, name, "--label-column")
        if label_col is None and need_label:
            raise DataError(
                f"Cannot tell which column of {name} holds the labels (columns: "
                f"{', '.join(columns)}); pass --label-column NAME."
            )
        ds, kept = manifest_dataset(
            rows, name, base or Path.cwd(), media, label_col, on_bad_input, header_lines
        )
        return read_groups(ds, rows, kept, group, name) if group else ds
    ds, kept = _text_rows(
        columns,
        rows,
        name,
        text_column,
        label_column,
        on_bad_input,
        need_label,
        tasks,
        header_lines,
    )
    return read_groups(ds, rows, kept, group, name) if group else ds


def _text_rows(
    columns: list[str],
    rows: list[dict[str, Any]],
    name: str,
    text_column: str | None,
    label_column: str | None,
    on_bad_input: str,
    need_label: bool,
    tasks: list[str] | None,
    header_lines: int,
) -> tuple[Dataset, list[int]]:
    missing = [t for t in tasks or [] if t not in columns]
    if missing:
        raise DataError(
            f"{name} has no column {missing[0]!r} for a task; its columns are "
            f"{', '.join(columns)}. Fix --tasks."
        )
    main_label = tasks[0] if tasks else label_column
    text_col, label_col = pick_columns(
        columns, rows, Path(name), text_column, main_label, need_label
    )
    label_cols = list(tasks) if tasks else ([label_col] if label_col else [])
    inputs, origins, skipped, kept = [], [], [], []
    values: dict[str, list[str]] = {c: [] for c in label_cols}
    for i, row in enumerate(rows):
        where = f"{name} row {i + 1 + header_lines}"
        text = "" if row.get(text_col) is None else str(row[text_col]).strip()
        labels = {c: _label(row.get(c)) for c in label_cols}
        empty = [c for c, v in labels.items() if not v]
        problem = _not_a_value(row, [text_col, *label_cols]) or (
            f"empty text in column {text_col!r}"
            if not text
            else f"no label in column {empty[0]!r}"
            if empty
            else None
        )
        if problem:
            handle_bad_input(on_bad_input, where, problem, "fill it in or delete the row", skipped)
            continue
        inputs.append(text)
        origins.append(where)
        kept.append(i)
        for c, v in labels.items():
            values[c].append(v)
    if not inputs:
        raise DataError(f"{name} has no usable rows (every text or label is empty).")
    for c in label_cols:
        _one_spelling_per_number(values[c], name, c)
    ds = Dataset(
        inputs,
        values[label_cols[0]] if label_cols else None,
        "text",
        origins,
        name=name,
        skipped=skipped,
        tasks=values if tasks else {},
    )
    return ds, kept
