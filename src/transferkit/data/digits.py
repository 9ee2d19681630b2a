"""Digit images stored as arrays rather than files: MNIST's IDX files and USPS's HDF5 file.

* A folder of IDX files (``<prefix>-images-idx3-ubyte[.gz]`` with its
  ``<prefix>-labels-idx1-ubyte[.gz]``), the format of the canonical MNIST download (and of
  Fashion-MNIST, KMNIST, ...). ``train`` files are the train split and ``t10k`` (or
  ``test``) files the test split. One set of files alone (e.g. just the MNIST test set,
  ``t10k``) is split once into train and test: a stratified
  ``HELD_OUT`` share is the test split, always the same (seed ``SPLIT_SEED``), because a
  test split that moved with ``--seed`` would let results be chosen by seed.
* A folder holding ``usps.h5`` (the common HDF5 release of USPS: groups ``train`` and
  ``test``, each with ``data``, rows of 16x16 grey levels in [0, 1], and ``target``).

Each split appears to ``load_splits`` as a virtual folder ``<folder>/<split>`` (like
``DATA/train``), so ``--test-split`` and friends work as for image folders. Images are
in-memory RGB PIL images (white digit on black), which every image backbone's
``prepare`` accepts and the feature cache keys by their pixels; labels are the digits as
strings ("0" ... "9").
"""

from __future__ import annotations

import gzip
import math
import re
from pathlib import Path

import numpy as np
from PIL import Image

from transferkit.data.dataset import Dataset
from transferkit.data.splits import stratified_split
from transferkit.errors import DataError

HELD_OUT = 0.2
SPLIT_SEED = 0
USPS_FILE = "usps.h5"
_IDX_IMAGES = re.compile(r"^(?P<prefix>.+)-images[-.]idx3-ubyte(?P<gz>\.gz)?$")
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_TEST_PREFIXES = ("t10k", "test")


def _idx_pairs(folder: Path) -> dict[str, tuple[Path, Path]]:
    """IDX prefix -> (images file, labels file), for every images file with its labels."""
    pairs = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = _IDX_IMAGES.match(path.name)
        if not match:
            continue
        labels = folder / f"{match['prefix']}-labels-idx1-ubyte{match['gz'] or ''}"
        if not labels.is_file():
            labels = folder / f"{match['prefix']}-labels.idx1-ubyte{match['gz'] or ''}"
        if labels.is_file():
            pairs[match["prefix"]] = (path, labels)
    return pairs


def looks_like_digits_folder(root: Path) -> bool:
    """True for a folder of MNIST-style IDX files or one holding ``usps.h5``."""
    return root.is_dir() and ((root / USPS_FILE).is_file() or bool(_idx_pairs(root)))


def digits_parts(root: Path) -> dict[str, Path]:
    """Split name -> virtual split path ``root/<split>``, as ``load_splits`` expects."""
    return {name: root / name for name in ("train", "test")}


def is_digits_part(path: Path) -> bool:
    return (
        path.name in ("train", "test")
        and not path.exists()
        and looks_like_digits_folder(path.parent)
    )


def read_digits_part(path: Path) -> Dataset:
    """The split ``path.name`` of the digits folder ``path.parent``."""
    folder, split = path.parent, path.name
    if (folder / USPS_FILE).is_file():
        return _read_usps(folder / USPS_FILE, split)
    return _read_idx_split(folder, split)


def _read_idx_split(folder: Path, split: str) -> Dataset:
    """train- and t10k- (or test-) files are the two splits; one set of files alone is
    split once into both."""
    pairs = _idx_pairs(folder)
    test = next((p for p in _TEST_PREFIXES if p in pairs), None)
    if "train" in pairs and test is not None:
        prefix = "train" if split == "train" else test
        return _read_idx_pair(folder, prefix, *pairs[prefix])
    if len(pairs) > 1:
        raise DataError(
            f"{folder} holds IDX files of {', '.join(sorted(pairs))}, not one set nor a train "
            "and a t10k set; keep one set of images, or name them train-* and t10k-*."
        )
    prefix, (images, labels) = next(iter(pairs.items()))
    pool = _read_idx_pair(folder, prefix, images, labels)
    train, held_out = stratified_split(pool.labels or [], HELD_OUT, SPLIT_SEED, images.name)
    held = f"{HELD_OUT:.0%} of {images.name}, stratified, seed {SPLIT_SEED}"
    if split == "test":
        return pool.subset(held_out, f"test ({held})")
    return pool.subset(train, f"train (the other {1 - HELD_OUT:.0%})")


def _read_idx_pair(folder: Path, prefix: str, images_file: Path, labels_file: Path) -> Dataset:
    images, labels = read_idx(images_file), read_idx(labels_file)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(
            f"{images_file.name} and {labels_file.name} do not hold N images and N labels "
            f"(shapes {images.shape} and {labels.shape}); replace them with matching files."
        )
    return _dataset(images, labels, images_file.name, prefix)


def read_idx(path: Path) -> np.ndarray:
    """An IDX array (LeCun's format: 2 zero bytes, a type byte, the number of dimensions,
    big-endian int32 sizes, then the data), gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"Cannot read {path} ({exc}); replace the file.") from exc
    if len(raw) < 4 or raw[0] or raw[1] or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number); replace the file.")
    ndim = raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, ">i4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(shape)) * dtype.itemsize:
        raise DataError(f"{path} is truncated or padded (shape {shape}); replace the file.")
    return np.frombuffer(raw, dtype, offset=offset).reshape(shape)


def _read_usps(path: Path, split: str) -> Dataset:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            data, target = np.asarray(f[split]["data"]), np.asarray(f[split]["target"])
    except (OSError, KeyError) as exc:
        raise DataError(
            f"Cannot read split {split!r} of {path} ({exc.__class__.__name__}); it must hold "
            "groups train and test with datasets data and target."
        ) from exc
    side = math.isqrt(data.shape[1]) if data.ndim == 2 else 0
    if side * side != data.shape[-1] or len(data) != len(target):
        raise DataError(
            f"{path} {split}/data has shape {data.shape}, not N rows of square images; "
            "replace the file."
        )
    pixels = np.clip(np.rint(data.reshape(-1, side, side) * 255), 0, 255).astype(np.uint8)
    return _dataset(pixels, target, f"{path.name} {split}", split)


def _dataset(pixels: np.ndarray, labels: np.ndarray, where: str, name: str) -> Dataset:
    images = [Image.fromarray(np.ascontiguousarray(p)).convert("RGB") for p in pixels]
    return Dataset(
        images,
        [str(int(y)) for y in labels],
        "image",
        [f"{where} image {i}" for i in range(len(images))],
        name=name,
    )
