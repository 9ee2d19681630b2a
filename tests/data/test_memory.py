"""Data in memory (``fit(X, y)``): the same splits, seeding, bad-input policy and feature
cache as the same data read from files."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

import transferkit
from tests.conftest import write_image_folder, write_text_table
from transferkit.data import DataConfig, load_splits
from transferkit.data.memory import InMemory, in_memory
from transferkit.errors import DataError
from transferkit.features import FeatureCache
from transferkit.workflows.common import run_fingerprint


def _table(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


@pytest.fixture
def reviews(tmp_path):
    return write_text_table(tmp_path / "reviews.csv", 40)


def test_texts_in_memory_train_the_model_their_file_trains(reviews, tmp_path):
    X, y = _table(reviews)
    options = {"model": "tiny-bert", "strategy": "finetune", "epochs": 2, "batch_size": 8}
    from_file = transferkit.fit(reviews, **options)
    from_memory = transferkit.fit(X, y, **options)
    assert from_memory.splits.summary()["train"] == from_file.splits.summary()["train"]
    assert from_memory.splits.val.inputs == from_file.splits.val.inputs  # same seeded carve
    probe = ["a good film", "an awful plot", *X[:5]]
    np.testing.assert_array_equal(
        from_memory.model.predict_proba(probe), from_file.model.predict_proba(probe)
    )
    assert from_memory.splits.source == "the data given in memory"


def test_held_out_data_in_memory_is_the_test_split(reviews):
    X, y = _table(reviews)
    result = transferkit.fit(X[:30], y[:30], model="tiny-bert", X_test=X[30:], y_test=y[30:])
    assert result.held_out == "test" and len(result.splits.test) == 10
    assert result.splits.test.origins[0] == "X_test[0]"
    with pytest.raises(DataError, match="X_test and y_test together"):
        transferkit.fit(X, y, model="tiny-bert", X_test=X[:4])


def test_images_as_arrays_pil_images_and_paths(tmp_path):
    root = write_image_folder(tmp_path / "imgs", 8)
    paths = sorted(root.rglob("*.png"))
    labels = [p.parent.name for p in paths]
    pixels = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths])
    grey = pixels.mean(axis=3).astype(np.uint8)
    kinds = {
        "paths": paths,
        "path strings": [str(p) for p in paths],
        "pil": [Image.open(p) for p in paths],
        "array NHWC": pixels,
        "array NHW": grey,
    }
    for kind, X in kinds.items():
        splits = load_splits(in_memory(X, labels, {}), DataConfig())
        assert splits.modality == "image", kind
        assert splits.classes == ["ants", "bees"], kind
    with pytest.raises(DataError, match="uint8"):
        load_splits(in_memory(pixels / 255.0, labels, {}), DataConfig())


def test_the_same_array_embeds_once(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.randint(0, 255, (24, 20, 20, 3), dtype=np.uint8)
    y = ["a", "b"] * 12
    cache = FeatureCache(root=tmp_path / "cache")
    first = transferkit.fit(X, y, model="tiny-cnn", cache=cache)
    again = transferkit.fit(X.copy(), y, model="tiny-cnn", cache=cache, seed=1)
    assert first.metrics.cost.embedded == 24 and first.metrics.cost.from_cache == 0
    assert again.metrics.cost.embedded == 0 and again.metrics.cost.from_cache == 24


def test_a_dataframe_with_named_columns(reviews):
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(reviews)
    with_column = load_splits(in_memory(frame, None, {}), DataConfig(), carve_val=False)
    X, y = _table(reviews)
    assert with_column.train.inputs == X and with_column.train.labels == y
    frame = frame.assign(stars=np.arange(len(frame)))
    given_y = load_splits(
        in_memory(frame.drop(columns="label"), frame["label"], {}), DataConfig(), carve_val=False
    )
    assert given_y.train.inputs == X and given_y.train.labels == y


def test_feature_vectors_train_a_head_that_saves_and_predicts(tmp_path):
    rng = np.random.RandomState(0)
    y = np.array([0, 1] * 30)
    F = rng.randn(60, 6) + y[:, None] * 2.0
    result = transferkit.fit(F, y, out=tmp_path / "m")
    assert result.model.record.backbone["source"] == "features:6"
    assert result.accuracy > 0.9  # two blobs two standard deviations apart
    model = transferkit.load(tmp_path / "m")
    assert list(model.predict(F)) == list(result.model.predict(F))
    assert np.mean(np.array(model.predict(F)) == y.astype(str)) > 0.9
    with pytest.raises(DataError, match="holds 3 numbers but this model reads 6"):
        model.predict(F[:2, :3])
    bad = F[:3].copy()
    bad[1, 2] = np.nan
    with pytest.raises(DataError, match=r"input\[1\]: holds NaN"):
        model.predict(bad)


@pytest.mark.parametrize(
    ("X", "y", "fragment"),
    [
        (["a good film"] * 4, ["pos", "neg", "pos"], "holds 4 examples but y 3 labels"),
        (["a text", 3, "b"], ["p", "n", "p"], "mixes str and int"),
        (np.zeros((4, 2, 2, 2, 2), np.uint8), list("abab"), "shape (4, 2, 2, 2, 2)"),
        (["x y", "y z"], np.zeros((2, 3)), "y has shape (2, 3)"),
        ([], [], "X is empty"),
        ("reviews.csv", None, None),  # a path is data on disk, not in memory
    ],
)
def test_bad_data_in_memory_is_one_sentence(X, y, fragment):
    if fragment is None:
        assert in_memory(X, y, {}) == X
        return
    with pytest.raises(DataError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        load_splits(in_memory(X, y, {}), DataConfig())


def test_bad_examples_and_missing_labels_are_skipped_and_listed():
    X = ["a good film", "   ", "a bad film", "great fun", "awful plot", "fine", "meh one"]
    y = ["pos", "neg", None, "pos", "neg", "pos", float("nan")]
    splits = load_splits(InMemory(X * 2, y * 2), DataConfig(), carve_val=False)
    reasons = {s.where: s.reason for s in splits.skipped}
    assert reasons["X[1]"] == "empty text" and reasons["X[2]"] == "no label"
    assert reasons["X[6]"] == "no label" and len(splits.train) == 8
    with pytest.raises(DataError, match=r"X\[1\]: empty text"):
        load_splits(InMemory(X, y), DataConfig(on_bad_input="error"))


def test_a_resumed_run_is_told_apart_by_the_content_of_its_arrays():
    def fit(X, y, **kw):
        pass

    a = np.zeros((5, 3))
    b = a.copy()
    b[4, 2] = 1.0  # str() of a large array elides the middle; the digest does not
    assert run_fingerprint(fit, (a, [1] * 5), {}) != run_fingerprint(fit, (b, [1] * 5), {})
    assert run_fingerprint(fit, (a, [1] * 5), {}) == run_fingerprint(fit, (a.copy(), [1] * 5), {})
    assert run_fingerprint(fit, (a,), {"X_test": a}) != run_fingerprint(fit, (a,), {"X_test": b})


def test_compare_explore_and_rank_take_data_in_memory(reviews, tmp_path):
    X, y = _table(reviews)
    ranked = transferkit.rank(X, y, models=["tiny-bert"], bootstrap=0)
    assert ranked.num_examples == 40 and ranked.data == "the data given in memory"
    explored = transferkit.explore(X, y, model="tiny-bert", out=tmp_path / "e")
    assert len(explored.labels) == 40
    unlabelled = transferkit.explore(X, model="tiny-bert")
    assert unlabelled.n == 40 and unlabelled.labels is None
    compared = transferkit.compare(
        X[:30],
        y[:30],
        model="tiny-bert",
        strategies=["linear-probe"],
        sizes=[4],
        seeds=2,
        X_test=X[30:],
        y_test=y[30:],
        out=tmp_path / "c",
    )
    assert compared.cells[0].size == "4" and (tmp_path / "c").is_dir()
    with pytest.raises(DataError, match="give X_test and y_test"):
        transferkit.compare(X, y, model="tiny-bert", strategies=["linear-probe"], seeds=2)
