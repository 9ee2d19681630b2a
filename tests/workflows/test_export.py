"""``transferkit export``: one ONNX graph whose probabilities equal PyTorch's, read by a
reader that needs no PyTorch (a subprocess where importing torch fails proves it)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import transferkit
from tests.cli.test_cli import run
from tests.conftest import write_image_folder, write_text_table
from transferkit.errors import ConfigError, IncompatibleError
from transferkit.exported import reader

#: run in a fresh interpreter in which ``import torch`` (and transformers) fails
NO_TORCH = textwrap.dedent(
    """
    import json, sys
    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("torch", "transformers", "torchvision"):
                raise ImportError(f"{name} is not available here")
    sys.meta_path.insert(0, Refuse())
    import transferkit
    model = transferkit.load(sys.argv[1])
    inputs = json.loads(sys.argv[2])
    proba = model.predict_proba(inputs)
    print(json.dumps({"proba": proba.tolist(), "labels": model.predict(inputs),
                      "torch": "torch" in sys.modules,
                      "unfamiliar": model.unfamiliar(inputs).tolist()}))
    """
)


def _without_torch(export_dir, inputs):
    done = subprocess.run(
        [sys.executable, "-c", NO_TORCH, str(export_dir), json.dumps(inputs)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def image_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("export-images")
    data = write_image_folder(root / "imgs", 10)
    transferkit.fit(data, "tiny-cnn", "finetune", epochs=1, batch_size=4, out=root / "m")
    return root, sorted(str(p) for p in data.rglob("*.png"))


def test_an_image_model_exports_and_predicts_the_same_without_torch(image_model, capsys):
    root, files = image_model
    code, _, said = run(["export", str(root / "m"), "--out", str(root / "onnx")], capsys)
    assert code == 0 and "Exported" in said
    got = _without_torch(root / "onnx", files)
    model = transferkit.load(root / "m")
    assert got["torch"] is False
    assert got["labels"] == model.predict(files)
    np.testing.assert_allclose(got["proba"], model.predict_proba(files), atol=1e-5)
    assert got["unfamiliar"] == model.unfamiliar(files).tolist()
    spec = json.loads((root / "onnx" / reader.EXPORT_FILE).read_text())
    assert spec["classes"] == ["ants", "bees"] and spec["preprocessing"]["size"] == 32
    assert len(spec["model_sha256"]) == 64


def test_a_text_model_exports_with_its_tokenizer(tmp_path):
    table = write_text_table(tmp_path / "t.csv", 40)
    transferkit.fit(table, "tiny-bert", "finetune", epochs=1, out=tmp_path / "m")
    transferkit.export(tmp_path / "m", tmp_path / "onnx")
    with open(table, newline="") as fh:
        texts = [r["text"] for r in csv.DictReader(fh)] + ["a much longer text " * 40]
    got = _without_torch(tmp_path / "onnx", texts)
    model = transferkit.load(tmp_path / "m")
    assert got["labels"] == model.predict(texts)
    np.testing.assert_allclose(got["proba"], model.predict_proba(texts), atol=1e-5)


def test_int8_keeps_the_interface_and_the_existing_export_is_not_replaced(image_model):
    root, files = image_model
    quantized = transferkit.export(root / "m", root / "int8", quantize="int8")
    assert quantized.quantize == "int8"
    proba = transferkit.load(root / "int8").predict_proba(files)
    assert proba.shape == (len(files), 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    with pytest.raises(Exception, match="--overwrite"):
        transferkit.export(root / "m", root / "int8")


def test_what_cannot_be_exported_says_so(tmp_path, image_model, capsys):
    root, _ = image_model
    with pytest.raises(ConfigError, match="Unknown export format 'tflite'"):
        transferkit.export(root / "m", tmp_path / "x", format="tflite")
    transferkit.export(root / "m", tmp_path / "onnx")
    code, _, said = run(["predict", str(tmp_path / "onnx"), root.as_posix()], capsys)
    assert code == 2 and "is an ONNX export" in said
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / reader.EXPORT_FILE).write_text('{"format": "other"}')
    with pytest.raises(Exception, match="damaged or was not written"):
        transferkit.load(tmp_path / "fake")
    table = write_text_table(tmp_path / "t.csv", 24)
    transferkit.fit(table, "paraphrase-MiniLM-L3-v2", out=tmp_path / "onnx-backbone")
    with pytest.raises(IncompatibleError, match="runs in ONNX Runtime already"):
        transferkit.export(tmp_path / "onnx-backbone", tmp_path / "y")
    assert not (tmp_path / "y").exists()
