"""From a path to train / validation / test splits.

Layouts understood:

* ``DATA/<class>/<image>`` or one table file (CSV, TSV, JSONL): a single pool, from which a
  stratified, seeded validation split is carved;
* ``DATA/{train,val,test}/<class>/<image>`` or ``DATA/{train,dev,test}.tsv``: splits by
  name (``val``, ``valid``, ``validation`` or ``dev`` for validation); ``--val-split`` and
  ``--test-split`` say which is which, e.g. ``--test-split val`` to keep ``val/`` as an
  untouched test set and carve validation from train.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from transferkit.data.audio import (
    is_audio_file,
    list_audio,
    looks_like_audio_folder,
    read_audio_folder,
)
from transferkit.data.config import DataConfig
from transferkit.data.dataset import Dataset, Skipped, Splits, handle_bad_input
from transferkit.data.digits import (
    digits_parts,
    is_digits_part,
    looks_like_digits_folder,
    read_digits_part,
)
from transferkit.data.identity import content_key
from transferkit.data.images import (
    check_image,
    is_image_file,
    list_images,
    looks_like_image_folder,
    read_image_folder,
)
from transferkit.data.manifests import path_column
from transferkit.data.memory import InMemory
from transferkit.data.reviews import looks_like_review_folder, read_review_folder
from transferkit.data.splits import (
    group_split,
    per_class_sample,
    stratified_sample,
    stratified_split,
)
from transferkit.data.tables import (
    LABEL_NAMES,
    TABLE_SUFFIXES,
    by_name,
    is_table_file,
    pick_columns,
    read_rows,
    read_table,
)
from transferkit.errors import DataError, IncompatibleError

VAL_NAMES = ("val", "valid", "validation", "dev")
TRAIN_NAME = "train"
TEST_NAME = "test"


def _split_parts(root: Path) -> dict[str, Path]:
    """Split name -> folder or table file, for a folder in split layout."""
    if looks_like_digits_folder(root):
        return digits_parts(root)
    parts: dict[str, Path] = {}
    for child in sorted(root.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir() and (looks_like_image_folder(child) or looks_like_audio_folder(child)):
            parts[child.name] = child
        elif is_table_file(child):
            parts.setdefault(child.stem, child)
    return parts if TRAIN_NAME in parts else {}


def _read_part(
    path: Path, config: DataConfig, display_root: Path, need_label: bool = True
) -> Dataset:
    if is_digits_part(path):
        return read_digits_part(path)
    if path.is_dir():
        if looks_like_review_folder(path):
            ds = read_review_folder(path, config.tasks[0] if config.tasks else config.label_column)
            if not config.tasks:
                ds.tasks = {}  # single-task use of a two-label data set
            return ds
        if config.group_column is not None:
            raise DataError(
                f"--group-column names a column of a table, but {path} is a folder; list the "
                "files with their groups in a CSV manifest (path, label and group columns)."
            )
        # the image test first: it stops at the first image, where the audio test of an
        # image folder would walk every file to find none
        if not looks_like_image_folder(path) and looks_like_audio_folder(path):
            return read_audio_folder(path, config.on_bad_input, display_root)
        return read_image_folder(path, config.on_bad_input, display_root)
    return read_table(
        path,
        config.text_column,
        config.label_column,
        config.on_bad_input,
        need_label,
        config.tasks,
        _given(config),
    )


def _given(config: DataConfig) -> dict[str, str | None]:
    return {"path": config.path_column, "group": config.group_column}


def read_dataset(
    path: str | Path,
    config: DataConfig | None = None,
    split: str | None = None,
    need_label: bool = True,
) -> Dataset:
    """One labelled data set: a table, a folder of class folders, or one split of a folder
    in split layout (``split``, or ``test`` when there is one)."""
    config = config or DataConfig()
    root = Path(path).expanduser()
    _must_exist(root)
    if is_table_file(root):
        return _read_part(root, config, root.parent, need_label)
    parts = _split_parts(root) if root.is_dir() else {}
    if parts:
        name = split or (TEST_NAME if TEST_NAME in parts else None)
        if split is not None and split not in parts:
            raise DataError(
                f"{root} has no split named {split!r}; it holds {', '.join(parts)}: fix --split."
            )
        if name is None or name not in parts:
            raise DataError(
                f"{root} holds the splits {', '.join(parts)}; say which to use with --split NAME."
            )
        return _read_part(parts[name], config, root)
    if split is not None:
        raise DataError(f"{root} has no split named {split!r}; drop --split.")
    return _read_part(root, config, root)


def load_splits(
    path: str | Path | InMemory,
    config: DataConfig | None = None,
    seed: int = 0,
    carve_val: bool = True,
) -> Splits:
    """Read a data set (a path, or data in memory: ``data.memory``) and return its splits,
    sampled and carved with ``seed``.

    ``shots`` and ``max_train`` sample the training examples first (the labelled data one
    has); a data set without a validation split then gets one carved from them, unless
    ``carve_val=False`` (``val`` is ``None``; see ``carve_validation``)."""
    config = config or DataConfig()
    read = _read_memory if isinstance(path, InMemory) else _read_path
    train, val, test, origins = read(path, config)
    if config.test_group is not None:
        train, test, origins = hold_out_group(train, test, config.test_group, origins)
    rename_labels([train, val, test], config.renames())
    skipped = [s for ds in (train, val, test) if ds is not None for s in ds.skipped]
    _columns_apply(train, config, path)
    if len(set(train.labels or [])) < 2:
        _one_class(train)
    train = _sample_train(train, config, seed)
    val_origin = origins["val"]
    if val is not None and config.max_val is not None and len(val) > config.max_val:
        val = val.subset(stratified_sample(val.labels or [], config.max_val, seed), val.name)
        val_origin = f"{val_origin}, sampled to {len(val)}"
    splits = Splits(
        train,
        val,
        test,
        _check_classes(train, val, test),
        str(path if isinstance(path, InMemory) else Path(path).expanduser()),
        val_origin,
        origins["test"],
        skipped,
        origins["train"],
        _task_classes(train, val, test),
    )
    if carve_val and splits.val is None:
        splits = carve_validation(splits, config, seed)
    return splits


_Read = tuple[Dataset, Dataset | None, Dataset | None, dict[str, str | None]]


def _read_path(path: str | Path, config: DataConfig) -> _Read:
    root = Path(path).expanduser()
    _must_exist(root)
    parts = _split_parts(root) if root.is_dir() else {}
    if parts:
        train, val, test, val_origin, test_origin = _from_parts(root, parts, config)
        origins = {"train": _part_label(parts[TRAIN_NAME]), "val": val_origin}
        return train, val, test, {**origins, "test": test_origin}
    for given in (config.val_split, config.test_split):
        if given not in (None, "none"):
            raise DataError(
                f"{root} is not split into folders or files named train/val/test, so there is "
                f"no split {given!r}; drop --val-split/--test-split or arrange the splits."
            )
    return read_dataset(root, config), None, None, {"train": "the data", "val": None, "test": None}


def _read_memory(data: InMemory, config: DataConfig) -> _Read:
    for given, what in ((config.val_split, "val"), (config.test_split, "test")):
        if given not in (None, "none"):
            raise DataError(
                f"--{what}-split names a split of a folder; with data in memory give "
                f"X_{what} and y_{what} instead."
            )
    parts = data.parts(config.text_column, config.label_column, config.on_bad_input, config.tasks)
    origins = {
        "train": "X",
        "val": "X_val" if parts["val"] is not None else None,
        "test": "X_test (held out, never used for selection)" if parts["test"] else None,
    }
    return parts["train"], parts["val"], parts["test"], origins


def rename_labels(parts: list[Dataset | None], renames: dict[str, str]) -> None:
    """Give the labels of every split their new names (``label_names``), in place."""
    if not renames:
        return
    found = {y for ds in parts if ds is not None for y in ds.labels or []}
    unknown = [old for old in renames if old not in found]
    if unknown:
        raise DataError(
            f"--label-names renames {', '.join(map(repr, unknown))}, which no example has as its "
            f"label (the labels are {', '.join(map(repr, sorted(found)[:20]))}); fix the names."
        )
    clash = (set(renames.values()) & found) - set(renames)
    if clash:
        raise DataError(
            f"--label-names gives the new name {sorted(clash)[0]!r}, which is already another "
            "label; choose a name no label has."
        )
    for ds in parts:
        if ds is not None and ds.labels is not None:
            ds.labels = [renames.get(y, y) for y in ds.labels]


def _columns_apply(train: Dataset, config: DataConfig, root: object) -> None:
    """Column options name columns of a table: given for images they would be ignored."""
    given = [
        f"--{name.replace('_', '-')}"
        for name in ("text_column", "label_column")
        if getattr(config, name, None)
    ]
    from_table = Path(train.name).suffix.lower() in TABLE_SUFFIXES
    if given and train.modality in ("image", "audio") and not from_table:
        raise DataError(
            f"{' and '.join(given)} name columns of a table, but {root} holds "
            f"{'images' if train.modality == 'image' else 'recordings'} in class "
            "folders; drop them."
        )


def carve_validation(splits: Splits, config: DataConfig, seed: int) -> Splits:
    """Hold out a stratified, seeded ``val_fraction`` of train as the validation split;
    when the examples have groups, whole groups are held out (``group_split``)."""
    train = splits.train
    if train.groups is not None:
        keep, held = group_split(
            train.labels or [], train.groups, config.val_fraction, seed, splits.train_origin
        )
        how = f"whole groups of {splits.train_origin} ({len(set(train.groups[i] for i in held))})"
    else:
        keep, held = stratified_split(
            train.labels or [], config.val_fraction, seed, splits.train_origin
        )
        how = f"{config.val_fraction:.0%} of {splits.train_origin}, stratified"
    return replace(
        splits,
        train=train.subset(keep, train.name),
        val=train.subset(held, f"validation carved from {splits.train_origin}"),
        val_origin=f"{how}, seed {seed}",
    )


def hold_out_group(
    train: Dataset, test: Dataset | None, group: str, origins: dict[str, str | None]
) -> tuple[Dataset, Dataset, dict[str, str | None]]:
    """Every example of ``group`` as the test split, the rest as train."""
    if test is not None:
        raise DataError(
            "The data already has a test split, so --test-group would make a second one; drop "
            "one of them (--test-split none ignores the data's test split)."
        )
    groups = train.groups or []
    if group not in groups:
        known = sorted(set(groups))
        raise DataError(
            f"No group {group!r} in the data (groups: {', '.join(known[:20])}"
            f"{', ...' if len(known) > 20 else ''}); fix --test-group."
        )
    inside = [i for i, g in enumerate(groups) if g == group]
    rest = [i for i, g in enumerate(groups) if g != group]
    if not rest:
        raise DataError(f"Every example is in group {group!r}; nothing is left to train on.")
    where = f"group {group!r} (held out, never used for selection)"
    return train.subset(rest), train.subset(inside, f"group {group}"), {**origins, "test": where}


def _from_parts(
    root: Path, parts: dict[str, Path], config: DataConfig
) -> tuple[Dataset, Dataset | None, Dataset | None, str | None, str | None]:
    for given, what in ((config.val_split, "val"), (config.test_split, "test")):
        if given not in (None, "none") and given not in parts:
            raise DataError(
                f"{root} has no split {given!r} (found {', '.join(parts)}); fix --{what}-split."
            )
    test_name = config.test_split or (TEST_NAME if TEST_NAME in parts else None)
    if test_name == "none":
        test_name = None
    val_name = config.val_split
    if val_name is None:
        val_name = next((n for n in VAL_NAMES if n in parts and n != test_name), None)
    elif val_name == "none":
        val_name = None
    if TRAIN_NAME in (val_name, test_name):
        raise DataError("The train split cannot also be the validation or test split.")
    train = _read_part(parts[TRAIN_NAME], config, root)
    test = _read_part(parts[test_name], config, root) if test_name else None
    test_origin = (
        f"{_part_label(parts[test_name])} (held out, never used for selection)"
        if test_name
        else None
    )
    if val_name:
        val = _read_part(parts[val_name], config, root)
        return train, val, test, _part_label(parts[val_name]), test_origin
    return train, None, test, None, test_origin


def _part_label(path: Path) -> str:
    return f"{path.name}/" if path.is_dir() else path.name


def _sample_train(train: Dataset, config: DataConfig, seed: int) -> Dataset:
    labels = train.labels or []
    if config.shots is not None:
        return train.subset(per_class_sample(labels, config.shots, seed), train.name)
    if config.max_train is not None and len(train) > config.max_train:
        return train.subset(stratified_sample(labels, config.max_train, seed), train.name)
    return train


def _one_class(ds: Dataset) -> None:
    found = sorted(set(ds.labels or []))
    raise DataError(
        f"Only one class ({found[0] if found else 'none'}) found in "
        f"{ds.name if ds.name not in (None, '', '.') else 'the data'}; a "
        "classifier needs examples of at least two classes."
    )


def _check_classes(train: Dataset, val: Dataset | None, test: Dataset | None) -> list[str]:
    classes = sorted(set(train.labels or []))
    if len(classes) < 2:
        _one_class(train)
    for ds, role in ((val, "validation"), (test, "test")):
        if ds is None:
            continue
        extra = sorted(set(ds.labels or []) - set(classes))
        if extra:
            raise DataError(
                f"The {role} split has classes not in train ({', '.join(extra)}); add training "
                "examples of them or remove them from the split."
            )
    return classes


def _task_classes(
    train: Dataset, val: Dataset | None, test: Dataset | None
) -> dict[str, list[str]]:
    """Classes of every task of a multi-task data set, checked like the main label's."""
    out = {}
    for task, labels in train.tasks.items():
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise DataError(
                f"Task {task!r} has a single class ({classes[0] if classes else 'none'}) in the "
                "training data, so there is nothing to learn; drop it from --tasks."
            )
        for ds, role in ((val, "validation"), (test, "test")):
            extra = sorted(set(ds.tasks.get(task, [])) - set(classes)) if ds is not None else []
            if extra:
                raise DataError(
                    f"The {role} split has {task} labels not in train ({', '.join(extra)}); add "
                    "training examples of them or remove them from the split."
                )
        out[task] = classes
    return out


def _must_exist(root: Path) -> None:
    if not root.exists():
        raise DataError(f"{root} does not exist; check the path.")
    if root.is_file() and root.suffix.lower() not in TABLE_SUFFIXES:
        raise DataError(
            f"{root} is neither a folder nor a {', '.join(TABLE_SUFFIXES)} file; give a folder "
            "of class sub-folders or a table of texts."
        )
    if root.is_dir() and not any(True for _ in root.iterdir()):
        raise DataError(f"{root} is empty; put one sub-folder of images per class in it.")


def read_inputs(path: str | Path, modality: str, text_column: str | None = None) -> Dataset:
    """Unlabelled inputs for prediction: image files or a folder of them, or a table or
    plain-text file of texts (one per line)."""
    p = Path(path).expanduser()
    if modality == "image" and (is_digits_part(p) or (p.is_dir() and looks_like_digits_folder(p))):
        # images held in array files: every split of the folder, or the one named
        parts = [
            read_digits_part(x) for x in ([p] if is_digits_part(p) else digits_parts(p).values())
        ]
        return Dataset(
            [x for ds in parts for x in ds.inputs],
            None,
            "image",
            [o for ds in parts for o in ds.origins],
            name=p.name,
        )
    if not p.exists():
        raise DataError(f"{p} does not exist; check the path.")
    if modality in ("image", "audio") and not is_table_file(p):
        lister, owns, noun = (
            (list_images, is_image_file, "image")
            if modality == "image"
            else (list_audio, is_audio_file, "audio")
        )
        files = lister(p)
        if p.is_file() and not owns(p):
            raise DataError(f"{p} is not an {noun} file; give {noun} files or a folder of them.")
        if not files:
            raise DataError(f"No {noun} files found in {p}.")
        return Dataset(list(files), None, modality, [str(f) for f in files], name=p.name)
    if is_table_file(p):
        ds = read_table(p, text_column, None, "error", need_label=False)
        if ds.modality != modality:
            raise IncompatibleError(
                f"{p} lists {ds.modality} but the model reads {modality}; give {modality}."
            )
        return Dataset(ds.inputs, None, modality, ds.origins, name=p.name)
    if p.is_file():
        try:
            lines = [ln.strip() for ln in p.read_text(encoding="utf-8-sig").splitlines()]
        except UnicodeDecodeError:
            raise DataError(
                f"{p} is not UTF-8 text, and a text model reads texts; give a UTF-8 text file "
                "(one text per line), a table, or the texts themselves."
            ) from None
        texts = [(i, t) for i, t in enumerate(lines, 1) if t]
        if not texts:
            raise DataError(f"{p} has no text; give one text per line.")
        return Dataset(
            [t for _, t in texts],
            None,
            "text",
            [f"{p.name} line {i}" for i, _ in texts],
            name=p.name,
        )
    raise DataError(f"{p} is a folder; give a CSV, TSV, JSONL or text file of texts.")


def read_unlabelled(path: str | Path, modality: str, config: DataConfig | None = None) -> Dataset:
    """Inputs of a data set whose labels, if it has any, must not be used (the target
    domain of domain adaptation): every image under a folder, or the texts of a table or
    review folder (for a folder in split layout, its train split)."""
    config = config or DataConfig()
    root = Path(path).expanduser()
    _must_exist(root)
    held = _kind_of(root, config)
    if held != modality:
        raise IncompatibleError(
            f"{root} holds {held} data but the model reads {modality}; give target data of "
            "the same kind as the source."
        )
    if modality == "audio":
        parts = _split_parts(root) if root.is_dir() else {}
        part = parts.get(TRAIN_NAME, root)
        ds = (
            _read_part(part, config, root, need_label=False)
            if is_table_file(part) or looks_like_audio_folder(part)
            else read_inputs(part, "audio")
        )
        order = sorted(range(len(ds)), key=lambda i: content_key(ds.inputs[i]))
        ds = ds.subset(order)
    elif modality == "image":
        parts = _split_parts(root) if root.is_dir() else {}
        ds = _read_part(parts[TRAIN_NAME], config, root) if parts else read_inputs(root, "image")
        # ordered by content, not path: folder names (labels) cannot change what training sees
        order = sorted(range(len(ds)), key=lambda i: content_key(ds.inputs[i]))
        ds = ds.subset(order)
    else:
        parts = _split_parts(root) if root.is_dir() else {}
        ds = _read_part(parts.get(TRAIN_NAME, root), config, root, need_label=False)
    if not len(ds):
        raise DataError(f"{root} holds no examples; give the target domain's inputs.")
    return Dataset(ds.inputs, None, ds.modality, ds.origins, name=root.name)


def _kind_of(root: Path, config: DataConfig) -> str:
    """The modality a data set holds: a table lists texts or (a manifest) files."""
    if looks_like_review_folder(root):
        return "text"
    parts = _split_parts(root) if root.is_dir() else {}
    first = parts.get(TRAIN_NAME, root)
    if is_table_file(first):
        columns, rows = read_rows(first)
        media = path_column(columns, rows, first.name, config.path_column) if rows else None
        return media[1].modality if media else "text"
    if looks_like_audio_folder(first) or (
        first.is_dir() and any(map(is_audio_file, first.iterdir()))
    ):
        return "audio"
    return "image"


#: Plain-text files read as one text per line (a table's suffixes are in TABLE_SUFFIXES).
PLAIN_TEXT_SUFFIXES = (".txt",)


def holds_labels(path: str | Path | InMemory, config: DataConfig | None = None) -> bool:
    """Whether a data set names labels: class folders, a split layout of them, a review or
    digits folder, or a table (or split tables) with a label column, given or detected by
    its name. A plain-text file, a folder of loose images or a text-only table has none."""
    config = config or DataConfig()
    if isinstance(path, InMemory):
        return path.has_labels(config.label_column)
    root = Path(path).expanduser()
    if is_table_file(root):
        return _table_has_labels(root, config)
    if not root.is_dir():
        return False
    parts = _split_parts(root)
    if parts:
        first = parts.get(TRAIN_NAME) or next(iter(parts.values()))
        return not is_table_file(first) or _table_has_labels(first, config)
    return (
        looks_like_image_folder(root)
        or looks_like_audio_folder(root)
        or looks_like_review_folder(root)
    )


def _table_has_labels(path: Path, config: DataConfig) -> bool:
    columns, rows = read_rows(path)
    if not rows:
        return False  # reading it says what is wrong
    media = path_column(columns, rows, path.name, config.path_column)
    if media is not None:
        others = [c for c in columns if c != media[0]]
        return (config.label_column or by_name(others, LABEL_NAMES)) is not None
    found = pick_columns(columns, rows, path, config.text_column, config.label_column, False)
    return found[1] is not None


def read_all_inputs(path: str | Path | InMemory, config: DataConfig | None = None) -> Dataset:
    """Every input of a data set, without labels (any it has are left unread): the lines of
    a plain-text file, the texts of a table (or of every table of a split folder), or the
    images of a folder: directly inside it, in class folders, or in split folders."""
    config = config or DataConfig()
    if isinstance(path, InMemory):
        return path.inputs(config.text_column, config.on_bad_input)
    root = Path(path).expanduser()
    if root.is_file() and root.suffix.lower() in PLAIN_TEXT_SUFFIXES:
        return _read_lines(root)
    if root.is_file() and not is_table_file(root):
        kinds = ", ".join((*TABLE_SUFFIXES, *PLAIN_TEXT_SUFFIXES))
        raise DataError(
            f"{root} is neither a folder nor a {kinds} file; give a folder of images, a table "
            "of texts or a text file with one text per line."
        )
    _must_exist(root)
    if is_table_file(root):
        return _read_texts(root, config)
    parts = _split_parts(root)
    if parts:
        pooled = [_part_inputs(part, config, root) for part in parts.values()]
        return Dataset(
            [x for ds in pooled for x in ds.inputs],
            None,
            pooled[0].modality,
            [o for ds in pooled for o in ds.origins],
            name=root.name,
            skipped=[s for ds in pooled for s in ds.skipped],
        )
    if looks_like_review_folder(root) or looks_like_image_folder(root):
        return _part_inputs(root, config, root)
    return _read_loose_images(root, config)


def _part_inputs(path: Path, config: DataConfig, root: Path) -> Dataset:
    if is_table_file(path):
        return _read_texts(path, config)
    ds = _read_part(path, config, root)
    return Dataset(ds.inputs, None, ds.modality, ds.origins, name=ds.name, skipped=ds.skipped)


def _read_lines(path: Path) -> Dataset:
    """One text per non-blank line (blank lines separate, they are not bad input)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text; re-save it as UTF-8.") from None
    texts = [(i, t.strip()) for i, t in enumerate(lines, 1) if t.strip()]
    if not texts:
        raise DataError(f"{path} has no text; give one text per line.")
    return Dataset(
        [t for _, t in texts], None, "text", [f"line {i}" for i, _ in texts], name=path.name
    )


def _read_texts(path: Path, config: DataConfig) -> Dataset:
    """The text column of a table (or the files of a manifest); a label column, if any,
    is left unread."""
    columns, rows = read_rows(path)
    if not rows:
        raise DataError(f"{path} has no rows; give a file with a header and one row per example.")
    if path_column(columns, rows, path.name, config.path_column) is not None:
        ds = read_table(path, None, None, config.on_bad_input, False, None, _given(config))
        return Dataset(ds.inputs, None, ds.modality, ds.origins, path.name, ds.skipped)
    text_col, _ = pick_columns(columns, rows, path, config.text_column, None, need_label=False)
    header_lines = 0 if path.suffix.lower() in (".jsonl", ".ndjson") else 1
    inputs, origins, skipped = [], [], []
    for i, row in enumerate(rows):
        where = f"{path.name} row {i + 1 + header_lines}"
        text = "" if row.get(text_col) is None else str(row[text_col]).strip()
        if not text:
            problem = f"empty text in column {text_col!r}"
            handle_bad_input(
                config.on_bad_input, where, problem, "fill it in or delete the row", skipped
            )
            continue
        inputs.append(text)
        origins.append(where)
    if not inputs:
        raise DataError(f"{path} has no usable rows (every text is empty).")
    return Dataset(inputs, None, "text", origins, name=path.name, skipped=skipped)


def _read_loose_images(root: Path, config: DataConfig) -> Dataset:
    """The image files directly inside ``root`` (a folder without class folders)."""
    inputs: list[Path] = []
    origins: list[str] = []
    skipped: list[Skipped] = []
    for path in sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")):
        if not is_image_file(path):
            kind = path.suffix or "no extension"
            skipped.append(Skipped(path.name, f"not an image file type ({kind})"))
            continue
        reason = check_image(path)
        if reason is not None:
            fix = "remove or replace the file"
            handle_bad_input(config.on_bad_input, path.name, reason, fix, skipped)
            continue
        inputs.append(path)
        origins.append(path.name)
    if not inputs:
        raise DataError(
            f"No images or texts found in {root}; give a folder of images (directly inside it "
            "or in one sub-folder per class), a table of texts or a text file."
        )
    return Dataset(inputs, None, "image", origins, name=root.name, skipped=skipped)


def overlap_warning(splits: Splits) -> str | None:
    """One sentence when test examples are identical in content to training examples: a
    model scored on what it was trained on looks better than it is."""
    if splits.test is None:
        return None
    try:
        seen = {content_key(x) for x in splits.train.inputs}
        shared = sum(content_key(x) in seen for x in splits.test.inputs)
    except (OSError, TypeError):  # an input that vanished is reported where it is read
        return None
    if not shared:
        return None
    return (
        f"{shared} of the test split's {len(splits.test)} examples are identical to training "
        "examples, so its accuracy overstates how the model does on new data; remove the "
        "duplicates from one of the splits."
    )


def group_overlap_warning(splits: Splits) -> str | None:
    """One sentence when given splits share groups (speakers, patients): then the test
    figure is for groups the model has heard, not for new ones. Splits carved here never
    share a group."""
    if splits.test is None or splits.train.groups is None or splits.test.groups is None:
        return None
    shared = sorted(set(splits.train.groups) & set(splits.test.groups))
    if not shared:
        return None
    named = ", ".join(shared[:5]) + (", ..." if len(shared) > 5 else "")
    return (
        f"{len(shared)} of the test split's {len(set(splits.test.groups))} groups ({named}) "
        "are also in train, so its accuracy is for groups the model has seen; to measure it "
        "on new ones, hold a group out (--test-group) or split by group."
    )
