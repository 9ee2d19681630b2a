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

from transferkit.data.config import DataConfig
from transferkit.data.dataset import Dataset, Splits
from transferkit.data.digits import (
    digits_parts,
    is_digits_part,
    looks_like_digits_folder,
    read_digits_part,
)
from transferkit.data.identity import content_key
from transferkit.data.images import (
    is_image_file,
    list_images,
    looks_like_image_folder,
    read_image_folder,
)
from transferkit.data.reviews import looks_like_review_folder, read_review_folder
from transferkit.data.splits import per_class_sample, stratified_sample, stratified_split
from transferkit.data.tables import TABLE_SUFFIXES, is_table_file, read_table
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
        if child.is_dir() and looks_like_image_folder(child):
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
        return read_image_folder(path, config.on_bad_input, display_root)
    return read_table(
        path, config.text_column, config.label_column, config.on_bad_input, need_label, config.tasks
    )


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
        if name is None or name not in parts:
            raise DataError(
                f"{root} holds the splits {', '.join(parts)}; say which to use with --split NAME."
            )
        return _read_part(parts[name], config, root)
    if split is not None:
        raise DataError(f"{root} has no split named {split!r}; drop --split.")
    return _read_part(root, config, root)


def load_splits(
    path: str | Path, config: DataConfig | None = None, seed: int = 0, carve_val: bool = True
) -> Splits:
    """Read a data set and return its splits, sampled and carved with ``seed``.

    ``shots`` and ``max_train`` sample the training examples first (the labelled data one
    has); a data set without a validation split then gets one carved from them, unless
    ``carve_val=False`` (``val`` is ``None``; see ``carve_validation``)."""
    config = config or DataConfig()
    root = Path(path).expanduser()
    _must_exist(root)
    parts = _split_parts(root) if root.is_dir() else {}
    if parts:
        train, val, test, val_origin, test_origin = _from_parts(root, parts, config)
        train_origin = _part_label(parts[TRAIN_NAME])
    else:
        for given in (config.val_split, config.test_split):
            if given not in (None, "none"):
                raise DataError(
                    f"{root} is not split into folders or files named train/val/test, so there is "
                    f"no split {given!r}; drop --val-split/--test-split or arrange the splits."
                )
        train, val, test, val_origin, test_origin = (
            read_dataset(root, config),
            None,
            None,
            None,
            None,
        )
        train_origin = "the data"
    skipped = [s for ds in (train, val, test) if ds is not None for s in ds.skipped]
    if len(set(train.labels or [])) < 2:
        _one_class(train)
    train = _sample_train(train, config, seed)
    if val is not None and config.max_val is not None and len(val) > config.max_val:
        val = val.subset(stratified_sample(val.labels or [], config.max_val, seed), val.name)
        val_origin = f"{val_origin}, sampled to {len(val)}"
    classes = _check_classes(train, val, test, root)
    splits = Splits(
        train,
        val,
        test,
        classes,
        str(root),
        val_origin,
        test_origin,
        skipped,
        train_origin,
        _task_classes(train, val, test),
    )
    if carve_val and splits.val is None:
        splits = carve_validation(splits, config, seed)
    return splits


def carve_validation(splits: Splits, config: DataConfig, seed: int) -> Splits:
    """Hold out a stratified, seeded ``val_fraction`` of train as the validation split."""
    train = splits.train
    keep, held = stratified_split(
        train.labels or [], config.val_fraction, seed, splits.train_origin
    )
    return replace(
        splits,
        train=train.subset(keep, train.name),
        val=train.subset(held, f"validation carved from {splits.train_origin}"),
        val_origin=f"{config.val_fraction:.0%} of {splits.train_origin}, stratified, seed {seed}",
    )


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
        f"Only one class ({found[0] if found else 'none'}) found in {ds.name or 'the data'}; a "
        "classifier needs examples of at least two classes."
    )


def _check_classes(
    train: Dataset, val: Dataset | None, test: Dataset | None, root: Path
) -> list[str]:
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
    if modality == "image":
        files = list_images(p)
        if p.is_file() and not is_image_file(p):
            raise DataError(f"{p} is not an image file; give images or a folder of them.")
        if not files:
            raise DataError(f"No image files found in {p}.")
        return Dataset(list(files), None, "image", [str(f) for f in files], name=p.name)
    if is_table_file(p):
        ds = read_table(p, text_column, None, "error", need_label=False)
        return Dataset(ds.inputs, None, "text", ds.origins, name=p.name)
    if p.is_file():
        lines = [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines()]
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
    holds_text = is_table_file(root) or looks_like_review_folder(root)
    if holds_text != (modality == "text"):
        raise IncompatibleError(
            f"{root} holds {'texts' if holds_text else 'images'} but the model reads "
            f"{modality}s; give target data of the same kind as the source."
        )
    if modality == "image":
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
