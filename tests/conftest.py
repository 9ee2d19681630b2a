"""Shared fixtures: generated image and text data sets, an isolated feature cache, and the
data root of the real data sets for integration tests."""

from __future__ import annotations

import csv
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

# Under pytest-xdist (`make test` runs one worker per core) each worker gets its share of
# the cores: two workers each running torch's default of one thread per core fight over
# them. Set before torch is imported, so subprocesses and tutorial kernels inherit it.
if _workers := os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // int(_workers))))

import numpy as np
import pytest
from PIL import Image

from transferkit.runtime import DATA_ENV

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own empty feature cache."""
    root = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("TRANSFERKIT_CACHE", str(root))
    return root


@pytest.fixture
def backbone_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Batch sizes of every forward pass of the tiny image backbones (copies included)."""
    from transferkit.backbones import SequentialImageBackbone

    calls: list[int] = []
    original = SequentialImageBackbone.forward_features
    monkeypatch.setattr(
        SequentialImageBackbone,
        "forward_features",
        lambda self, batch: calls.append(len(batch)) or original(self, batch),
    )
    return calls


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Examples each backbone embedded (by source name), counted at the one function that
    runs a backbone over inputs to features (any backbone, ONNX engine included)."""
    import transferkit.features.extract as extract

    counts: Counter[str] = Counter()
    original = extract.forward_features

    def counted(backbone: Any, inputs: Any, **kw: Any) -> Any:
        counts[backbone.source] += len(inputs)
        return original(backbone, inputs, **kw)

    monkeypatch.setattr(extract, "forward_features", counted)
    return counts


def make_image(kind: int, rng: random.Random, size: int = 40) -> Image.Image:
    """Class 0: reddish with horizontal stripes; 1: bluish, vertical; 2: greenish, checks."""
    arr = np.zeros((size, size, 3), dtype=np.uint8)
    base = [(200, 60, 60), (60, 60, 200), (60, 190, 60)][kind]
    noise = np.array(
        [[rng.randint(-40, 40) for _ in range(3)] for _ in range(size * size)]
    ).reshape(size, size, 3)
    arr[:] = np.clip(np.array(base) + noise, 0, 255)
    period = rng.randint(4, 7)
    idx = np.arange(size)
    if kind == 0:
        arr[(idx // period) % 2 == 0, :, :] //= 2
    elif kind == 1:
        arr[:, (idx // period) % 2 == 0, :] //= 2
    else:
        mask = ((idx[:, None] // period) + (idx[None, :] // period)) % 2 == 0
        arr[mask] //= 2
    return Image.fromarray(arr)


def write_image_folder(
    root: Path,
    per_class: int,
    classes: tuple[str, ...] = ("ants", "bees"),
    seed: int = 0,
    suffix: str = ".png",
) -> Path:
    rng = random.Random(seed)
    for k, cls in enumerate(classes):
        folder = root / cls
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            make_image(k, rng).save(folder / f"{cls}_{i:03d}{suffix}")
    return root


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """24 generated images of two classes in class folders."""
    return write_image_folder(tmp_path / "images", 12)


def write_audio_folder(
    root: Path, per_class: int, classes: tuple[str, ...] = ("low", "high"), seed: int = 0
) -> Path:
    """Class folders of 8 kHz tones: each class around its own pitch (300 Hz apart by
    class), each recording with its own length, loudness, pitch and noise."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    for k, cls in enumerate(classes):
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            n = int(rng.uniform(0.3, 0.8) * 8000)
            t = np.arange(n) / 8000
            freq = 300 + 600 * k + rng.uniform(-40, 40)
            wave = rng.uniform(0.1, 0.5) * np.sin(2 * np.pi * freq * t)
            wave = wave + 0.02 * rng.standard_normal(n)
            sf.write(root / cls / f"{cls}_{i:03d}.wav", wave.astype(np.float32), 8000)
    return root


@pytest.fixture
def audio_splits(tmp_path: Path) -> Path:
    """train/ (12 per class) and val/ (6 per class) of generated recordings."""
    root = tmp_path / "recordings"
    write_audio_folder(root / "train", 12, seed=1)
    write_audio_folder(root / "val", 6, seed=2)
    return root


@pytest.fixture
def image_splits(tmp_path: Path) -> Path:
    """train/ (12 per class) and val/ (6 per class) of generated images."""
    root = tmp_path / "splits"
    write_image_folder(root / "train", 12, seed=1)
    write_image_folder(root / "val", 6, seed=2)
    return root


POSITIVE = ["good", "great", "fun", "love", "best"]
NEGATIVE = ["bad", "awful", "boring", "hate", "worst"]
FILLER = ["the", "movie", "film", "plot", "actor", "story", "was", "it", "this"]


def make_text(label: int, rng: random.Random) -> str:
    words = [rng.choice(FILLER) for _ in range(rng.randint(3, 8))]
    cue = POSITIVE if label == 1 else NEGATIVE
    for _ in range(2):
        words.insert(rng.randint(0, len(words)), rng.choice(cue))
    return " ".join(words)


def write_text_table(path: Path, n: int, seed: int = 0, delimiter: str = ",") -> Path:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(["text", "label"])
        for i in range(n):
            label = i % 2
            w.writerow([make_text(label, rng), "pos" if label else "neg"])
    return path


@pytest.fixture
def text_table(tmp_path: Path) -> Path:
    """A CSV of 40 generated sentences labelled pos/neg."""
    return write_text_table(tmp_path / "reviews.csv", 40)


def data_root() -> Path:
    return Path(os.environ.get(DATA_ENV) or REPO.parent / "shared" / "data")


@pytest.fixture
def shared_data() -> Path:
    root = data_root()
    if not root.is_dir():
        message = f"real data sets not found at {root} (set {DATA_ENV})"
        if os.environ.get("TRANSFERKIT_REQUIRE_DATA") == "1":  # CI: missing data is a failure
            pytest.fail(message)
        pytest.skip(message)
    return root


@pytest.fixture
def text_splits(tmp_path: Path) -> Path:
    """train.csv (40 sentences) and test.csv (16) in one folder."""
    write_text_table(tmp_path / "texts" / "train.csv", 40)
    write_text_table(tmp_path / "texts" / "test.csv", 16, seed=5)
    return tmp_path / "texts"


TOPICS = {"food": "pizza soup bread".split(), "tech": "laptop phone screen".split()}


def write_task_table(path: Path, n: int, seed: int = 0) -> Path:
    """Texts with two label columns: sentiment (pos/neg) and topic (food/tech)."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "sentiment", "topic"])
        for i in range(n):
            label, topic = i % 2, ("food", "tech")[(i // 2) % 2]
            text = make_text(label, rng) + " " + rng.choice(TOPICS[topic])
            w.writerow([text, "pos" if label else "neg", topic])
    return path


@pytest.fixture
def task_splits(tmp_path: Path) -> Path:
    """train.csv (48) and test.csv (16) with sentiment and topic columns."""
    write_task_table(tmp_path / "tasks" / "train.csv", 48)
    write_task_table(tmp_path / "tasks" / "test.csv", 16, seed=3)
    return tmp_path / "tasks"
