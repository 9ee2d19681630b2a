"""Digit images kept as arrays: MNIST's IDX files and USPS's HDF5 file, read as data sets
with train and test splits of in-memory images."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import transferkit
from transferkit.data import DataConfig, load_splits, read_dataset
from transferkit.data.digits import read_idx
from transferkit.errors import DataError


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def digit_arrays(n: int, side: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes of images: a bright bar in the top, middle or bottom rows."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    images = rng.integers(0, 40, size=(n, side, side))
    for i, y in enumerate(labels):
        images[i, y * side // 3 : (y + 1) * side // 3] = 250
    return images.astype(np.uint8), labels.astype(np.uint8)


def write_idx(folder: Path, prefix: str, n: int, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = digit_arrays(n, seed=seed)
    for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
        with gzip.open(folder / f"{prefix}-{kind}-ubyte.gz", "wb") as fh:
            fh.write(idx_bytes(array))
    return folder


def write_usps(folder: Path, n_train: int = 30, n_test: int = 12) -> Path:
    import h5py

    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / "usps.h5", "w") as f:
        for split, n, seed in (("train", n_train, 1), ("test", n_test, 2)):
            images, labels = digit_arrays(n, side=16, seed=seed)
            f.create_dataset(f"{split}/data", data=images.reshape(n, -1) / 255.0)
            f.create_dataset(f"{split}/target", data=labels.astype(np.int32))
    return folder


def test_a_lone_idx_set_is_split_into_a_fixed_stratified_test_split(tmp_path):
    folder = write_idx(tmp_path / "mnist-test", "t10k", 60)
    a = load_splits(folder, seed=0, carve_val=False)
    b = load_splits(folder, seed=5, carve_val=False)
    assert len(a.train) == 48 and len(a.test) == 12 and a.classes == ["0", "1", "2"]
    assert a.test.class_counts() == {"0": 4, "1": 4, "2": 4}
    # the test split does not move with the run's seed
    assert [x.tobytes() for x in a.test.inputs] == [x.tobytes() for x in b.test.inputs]
    image = a.train.inputs[0]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (8, 8)
    assert a.train.origins[0].startswith("t10k-images-idx3-ubyte.gz image ")


def test_train_and_t10k_files_are_the_train_and_test_splits(tmp_path):
    folder = write_idx(tmp_path / "mnist", "train", 30)
    write_idx(folder, "t10k", 9, seed=3)
    s = load_splits(folder, DataConfig(max_train=15), carve_val=True)
    assert len(s.train) + len(s.val) == 15 and len(s.test) == 9
    assert len(read_dataset(folder)) == 9  # the test split, as for other split layouts


def test_usps_pixels_are_scaled_to_bytes_and_its_splits_come_from_the_file(tmp_path):
    folder = write_usps(tmp_path / "usps")
    s = load_splits(folder, carve_val=False)
    assert len(s.train) == 30 and len(s.test) == 12
    pixels = np.asarray(s.train.inputs[0])
    assert pixels.shape == (16, 16, 3) and pixels.max() == 250  # 250/255 back to 250


def test_a_damaged_idx_file_is_one_sentence(tmp_path):
    folder = write_idx(tmp_path / "bad", "t10k", 30)
    path = folder / "t10k-images-idx3-ubyte.gz"
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    with gzip.open(path, "wb") as fh:
        fh.write(raw[:-10])
    with pytest.raises(DataError, match="truncated") as info:
        load_splits(folder)
    assert "\n" not in str(info.value) and str(info.value).endswith("replace the file.")
    (tmp_path / "junk-images-idx3-ubyte").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(tmp_path / "junk-images-idx3-ubyte")


def test_a_model_trains_and_ranks_on_in_memory_digits(tmp_path):
    folder = write_usps(tmp_path / "usps", n_train=36, n_test=12)
    result = transferkit.fit(folder, "tiny-cnn", "linear-probe")
    assert result.metrics.splits["test"].n == 12 and result.accuracy > 0.9
    ranked = transferkit.rank(folder, "tiny-cnn", bootstrap=0)
    assert ranked.num_examples == 36 and ranked.candidates[0].value("knn") > 0.9


def test_digits_adapt_from_idx_to_usps(tmp_path):
    """Domain adaptation between two in-memory digit sets, as benchmarks/ runs MNIST ->
    USPS: training, the domain-gap measure and the saved model all take images that are
    not files."""
    source = write_idx(tmp_path / "mnist", "t10k", 60)
    target = write_usps(tmp_path / "usps", n_train=30, n_test=12)
    result = transferkit.adapt(
        source, target, "tiny-cnn", "coral", target_labels=True, epochs=2, out=tmp_path / "m"
    )
    assert result.target_metrics.n == 12  # its test split
    loaded = transferkit.load(result.out)
    assert len(loaded.predict(target)) == 42  # every image of both splits
    images = load_splits(target, carve_val=False).test.inputs
    assert loaded.predict(images) == loaded.predict(target / "test")  # PIL images directly


@pytest.mark.integration
def test_the_real_mnist_test_set_and_usps(shared_data):
    mnist = load_splits(shared_data / "digits" / "mnist-test", carve_val=False)
    assert (len(mnist.train), len(mnist.test)) == (8000, 2000) and len(mnist.classes) == 10
    usps = load_splits(shared_data / "digits" / "usps", carve_val=False)
    assert (len(usps.train), len(usps.test)) == (7291, 2007) and usps.classes == mnist.classes
    assert usps.train.inputs[0].size == (16, 16) and mnist.train.inputs[0].size == (28, 28)
    # both white digits on black, so one model can serve both domains
    for ds in (mnist.train, usps.train):
        pixels = np.asarray(ds.inputs[0].convert("L"))
        assert np.median(pixels) < 60 and pixels.max() > 200


def test_train_files_alone_are_split_and_unrelated_sets_are_refused(tmp_path):
    folder = write_idx(tmp_path / "only-train", "train", 30)
    s = load_splits(folder, carve_val=False)
    assert (len(s.train), len(s.test)) == (24, 6)
    mixed = write_idx(tmp_path / "mixed", "fashion", 9)
    write_idx(mixed, "kmnist", 9)
    with pytest.raises(DataError, match="fashion, kmnist") as info:
        load_splits(mixed)
    assert "\n" not in str(info.value)
