"""Model directories: atomic, never silently overwritten, version-checked, pickle-free."""

from __future__ import annotations

import json

import pytest

import transferkit
from transferkit.errors import ModelDirError
from transferkit.models.artifact import write_atomically


def _fit(data, out, **kw):
    return transferkit.fit(data, "tiny-cnn", "linear-probe", out=out, **kw)


def test_model_directory_records_how_it_was_made(image_splits, tmp_path):
    result = _fit(image_splits, tmp_path / "m", test_split="val", seed=7)
    files = {p.name for p in result.out.iterdir()}
    assert {"config.json", "model.safetensors", "metrics.json", "predictions.csv"} <= files
    assert not any(p.suffix in (".pt", ".pth", ".pkl", ".bin") for p in result.out.rglob("*"))
    record = json.loads((result.out / "config.json").read_text())
    assert record["classes"] == ["ants", "bees"] and record["seed"] == 7
    assert record["backbone"]["source"] == "tiny-cnn"
    assert record["backbone"]["preprocessing"]["size"] == 32
    assert record["data"]["config"]["test_split"] == "val"
    assert record["data"]["summary"]["test"] == {"ants": 6, "bees": 6}
    assert {"torch", "transferkit", "python"} <= set(record["versions"])
    metrics = json.loads((result.out / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] == result.metrics.splits["test"].accuracy


def test_existing_directory_is_not_overwritten_unless_asked(image_folder, tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(ModelDirError, match="--overwrite"):
        _fit(image_folder, out)
    assert (out / "precious.txt").read_text() == "keep me"
    with pytest.raises(ModelDirError, match="was not written by transferkit"):
        _fit(image_folder, out, overwrite=True)  # test_output_claims.py has the rest
    assert (out / "precious.txt").read_text() == "keep me"


def test_interrupted_write_leaves_nothing_that_looks_complete(tmp_path):
    out = tmp_path / "m"

    def fill(tmp):
        (tmp / "config.json").write_text("{}")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(out, fill)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_interrupted_overwrite_keeps_the_old_model(tmp_path):
    out = tmp_path / "m"
    write_atomically(out, lambda tmp: (tmp / "config.json").write_text("old"))

    def fill(tmp):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(out, fill, overwrite=True)
    assert (out / "config.json").read_text() == "old"


def test_models_from_another_format_version_are_refused(image_folder, tmp_path):
    result = _fit(image_folder, tmp_path / "m")
    cfg = result.out / "config.json"
    record = json.loads(cfg.read_text())
    record["format_version"] = 99
    record["transferkit_version"] = "9.0.0"
    cfg.write_text(json.dumps(record))
    with pytest.raises(ModelDirError, match=r"transferkit 9\.0\.0 in model format 99"):
        transferkit.load(result.out)


def test_incomplete_directories_are_refused(tmp_path):
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    with pytest.raises(ModelDirError, match="not a complete transferkit model"):
        transferkit.load(tmp_path / "half")
