"""Reading image folders and text tables, splitting them, and the messages bad input gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import write_image_folder, write_text_table
from transferkit.data import DataConfig, load_splits, read_dataset, read_inputs
from transferkit.errors import ConfigError, DataError


def test_class_folders_get_a_stratified_seeded_validation_split(image_folder):
    a = load_splits(image_folder, seed=3)
    b = load_splits(image_folder, seed=3)
    c = load_splits(image_folder, seed=4)
    assert a.classes == ["ants", "bees"]
    assert a.val.class_counts() == {"ants": 2, "bees": 2}  # 20% of 12 per class, rounded
    assert a.val.inputs == b.val.inputs and a.val.inputs != c.val.inputs
    assert not set(a.val.inputs) & set(a.train.inputs)
    assert "seed 3" in a.val_origin and a.test is None


def test_split_folders_are_used_by_name_and_test_is_held_out(image_splits):
    write_image_folder(image_splits / "test", 3, seed=9)
    s = load_splits(image_splits)
    assert s.val_origin == "val/" and s.test is not None and len(s.test) == 6
    assert "never used for selection" in s.test_origin


def test_a_val_folder_can_serve_as_the_test_split(image_splits):
    s = load_splits(image_splits, DataConfig(test_split="val"))
    assert s.test is not None and len(s.test) == 12
    assert "of train/" in s.val_origin and len(s.train) + len(s.val) == 24


def test_no_carving_when_the_strategy_selects_by_cross_validation(image_splits):
    s = load_splits(image_splits, DataConfig(test_split="val"), carve_val=False)
    assert s.val is None and len(s.train) == 24


def test_shots_and_max_train_sample_the_labelled_data_before_validation_is_carved(image_folder):
    s = load_splits(image_folder, DataConfig(shots=5), carve_val=False)
    assert s.train.class_counts() == {"ants": 5, "bees": 5} and s.val is None
    s = load_splits(image_folder, DataConfig(shots=5))
    assert s.train.class_counts() == {"ants": 4, "bees": 4}
    assert s.val.class_counts() == {"ants": 1, "bees": 1}
    s = load_splits(image_folder, DataConfig(max_train=10))
    assert len(s.train) + len(s.val) == 10 and set(s.train.class_counts()) == {"ants", "bees"}
    with pytest.raises(DataError, match="fewer than the 50 per class"):
        load_splits(image_folder, DataConfig(shots=50))


def test_text_tables_detect_columns(tmp_path, text_table):
    s = load_splits(text_table)
    assert s.modality == "text" and s.classes == ["neg", "pos"]
    tsv = write_text_table(tmp_path / "r.tsv", 20, delimiter="\t")
    assert read_dataset(tsv).modality == "text"
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text(
        "\n".join(
            json.dumps({"review": f"text number {i} here", "stars": str(i % 2)}) for i in range(10)
        )
    )
    with pytest.raises(DataError, match="--label-column"):
        read_dataset(jsonl)
    ds = read_dataset(jsonl, DataConfig(label_column="stars"))
    assert ds.labels[:2] == ["0", "1"] and ds.inputs[0] == "text number 0 here"


def test_text_splits_by_file_name(tmp_path):
    write_text_table(tmp_path / "sst" / "train.tsv", 30, delimiter="\t")
    write_text_table(tmp_path / "sst" / "dev.tsv", 10, seed=1, delimiter="\t")
    write_text_table(tmp_path / "sst" / "test.tsv", 10, seed=2, delimiter="\t")
    s = load_splits(tmp_path / "sst", DataConfig(max_train=12))
    assert (len(s.train), len(s.val), len(s.test)) == (12, 10, 10)
    assert s.val_origin == "dev.tsv"


def _one_sentence(message: str) -> bool:
    return "\n" not in message and message.endswith(".") and len(message) < 400


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        (lambda p: p.mkdir(), "is empty"),
        (lambda p: write_image_folder(p, 5, classes=("only",)), "Only one class"),
        (
            lambda p: (
                write_image_folder(p, 5),
                (p / "rare").mkdir(),
                write_image_folder(p, 1, classes=("rare",)),
            ),
            "Class 'rare' has only 1 example",
        ),
        (
            lambda p: (p.mkdir(), (p / "a").mkdir(), (p / "a" / "x.txt").write_text("hi")),
            "No images found",
        ),
    ],
)
def test_bad_image_folders_get_one_sentence(tmp_path, setup, fragment):
    root = tmp_path / "data"
    setup(root)
    with pytest.raises(DataError) as info:
        load_splits(root)
    assert fragment in str(info.value) and _one_sentence(str(info.value))


def test_unreadable_images_are_skipped_and_listed_or_stop_the_run(image_folder):
    (image_folder / "ants" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    good = image_folder / "bees" / "bees_000.png"
    (image_folder / "bees" / "truncated.png").write_bytes(good.read_bytes()[:200])
    (image_folder / "bees" / "notes.txt").write_text("not an image")
    s = load_splits(image_folder)
    reasons = {Path(x.where).name: x.reason for x in s.skipped}
    assert set(reasons) == {"broken.jpg", "truncated.png", "notes.txt"}
    assert "truncated PNG" in reasons["truncated.png"]
    assert s.summary()["skipped"][0]["where"].startswith(("ants", "bees"))
    with pytest.raises(DataError, match=r"broken\.jpg.*--on-bad-input skip"):
        load_splits(image_folder, DataConfig(on_bad_input="error"))


def test_bad_text_rows_and_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\ngood film,pos\n,neg\nawful,\nfine one,neg\nnice,pos\nmeh,neg\n")
    ds = read_dataset(bad)
    assert len(ds) == 4 and [s.where for s in ds.skipped] == ["bad.csv row 3", "bad.csv row 4"]
    with pytest.raises(DataError, match=r"bad\.csv row 3: empty text"):
        read_dataset(bad, DataConfig(on_bad_input="error"))
    with pytest.raises(DataError, match=r"no column 'body'.*text, label"):
        read_dataset(bad, DataConfig(text_column="body"))


def test_missing_paths_and_conflicting_options(tmp_path, image_splits):
    with pytest.raises(DataError, match="does not exist"):
        load_splits(tmp_path / "nope")
    with pytest.raises(DataError, match="no split 'holdout'"):
        load_splits(image_splits, DataConfig(test_split="holdout"))
    with pytest.raises(ConfigError, match="both 'val'"):
        DataConfig(val_split="val", test_split="val")


def test_labels_unknown_to_training_are_refused(image_splits):
    write_image_folder(image_splits / "val", 2, classes=("wasps",))
    with pytest.raises(DataError, match="classes not in train \\(wasps\\)"):
        load_splits(image_splits)


def test_prediction_inputs(tmp_path, image_folder, text_table):
    assert len(read_inputs(image_folder, "image")) == 24
    lines = tmp_path / "lines.txt"
    lines.write_text("one text\n\nanother text\n")
    ds = read_inputs(lines, "text")
    assert ds.inputs == ["one text", "another text"] and ds.origins[1] == "lines.txt line 3"
    assert read_inputs(text_table, "text").labels is None


def _unlistable(monkeypatch, folder: Path) -> None:
    """``folder`` cannot be listed, as for a user without read permission on it (a chmod
    cannot show it here: the tests may run as root, who lists anything)."""
    import os

    scandir = os.scandir

    def refusing(path="."):
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)


def test_a_sub_folder_that_cannot_be_listed_is_listed_as_skipped(
    tmp_path, image_folder, monkeypatch
):
    import shutil

    root = shutil.copytree(image_folder, tmp_path / "imgs")
    locked = root / "ants" / "more"
    shutil.copytree(root / "ants", locked)
    _unlistable(monkeypatch, locked)
    ds = read_dataset(root, DataConfig())
    assert [s.where for s in ds.skipped] == ["ants/more"]
    assert "cannot list folder (Permission denied)" in ds.skipped[0].reason
    assert not any("more" in o for o in ds.origins)
    with pytest.raises(DataError, match="ants/more: cannot list folder"):
        read_dataset(root, DataConfig(on_bad_input="error"))
    with pytest.raises(DataError, match=r"Cannot list folder .*more"):
        read_inputs(root, "image")
