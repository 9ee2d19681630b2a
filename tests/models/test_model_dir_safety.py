"""A model directory is data from anyone: loading it never runs code from it, never
downloads, never reads outside it, and anything it says is checked before it is used."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import transferkit
from transferkit.errors import ModelDirError

CLI = [sys.executable, "-m", "transferkit.cli.main"]


@pytest.fixture
def text_model(text_splits, tmp_path):
    return transferkit.fit(text_splits, "tiny-bert", "linear-probe", out=tmp_path / "m").out


@pytest.fixture
def image_model(image_folder, tmp_path):
    return transferkit.fit(image_folder, "tiny-cnn", "linear-probe", out=tmp_path / "im").out


def _edit(directory, change):
    path = directory / "config.json"
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))


def test_remote_code_in_a_model_directory_is_refused_unasked(text_model, tmp_path):
    marker = tmp_path / "payload-ran"
    backbone = text_model / "backbone"
    config = json.loads((backbone / "config.json").read_text())
    config.update(
        model_type="evil",
        auto_map={"AutoConfig": "configuration_evil.EvilConfig", "AutoModel": "m.EvilModel"},
    )
    (backbone / "config.json").write_text(json.dumps(config))
    (backbone / "configuration_evil.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
    )
    proc = subprocess.run(
        [*CLI, "predict", str(text_model), "a good film"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = proc.stdout + proc.stderr
    assert proc.returncode == 2 and "Traceback" not in said and "[y/N]" not in said
    assert "was not written by transferkit" in proc.stderr and proc.stderr.count("error:") == 1
    assert not marker.exists()


def test_the_backbone_is_rebuilt_from_the_directory_alone(text_model):
    # a recorded hub id or path is a label: the architecture comes from backbone/
    for source in ("hf:someone/model-that-is-not-here", "/no/such/folder"):
        _edit(text_model, lambda r, s=source: r["backbone"].update(source=s))
        model = transferkit.load(text_model)
        assert model.predict(["a good film"])[0] in model.classes_


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("../../../../../etc", "neither a registered backbone nor source:name"),
        ("hf:someone/model", "backbone/ folder, which is missing"),
        ("/etc", "backbone/ folder, which is missing"),
    ],
)
def test_sources_that_point_outside_are_refused(text_model, source, fragment):
    import shutil

    shutil.rmtree(text_model / "backbone")
    _edit(text_model, lambda r: r["backbone"].update(source=source))
    with pytest.raises(ModelDirError, match=fragment):
        transferkit.load(text_model)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda r: r["backbone"]["preprocessing"].update(size=100_000), "'size' is 100000"),
        (lambda r: r["backbone"]["preprocessing"].update(extra=1), "unknown keys"),
        (lambda r: r["calibration"]["temperatures"].update(label=0), "'label' is 0"),
        (lambda r: r["calibration"]["temperatures"].update(label="x"), "not a number"),
        (lambda r: r.update(classes=["ants"]), "fewer than two classes"),
        (lambda r: r.update(classes="ants"), "'classes' is not a non-empty list"),
        (lambda r: r.update(surprise=True), "unknown keys"),
        (lambda r: r["head"].update(in_features=10**9), "'in_features' is 1000000000"),
        (lambda r: r.pop("backbone"), "'backbone' is missing"),
        (lambda r: r.update(seed="7"), "'seed' is str"),
    ],
)
def test_config_is_checked_against_its_schema(image_model, change, fragment):
    _edit(image_model, change)
    with pytest.raises(ModelDirError, match="damaged or was not written by transferkit") as err:
        transferkit.load(image_model)
    assert fragment in str(err.value)


def test_changed_weight_bytes_are_caught_by_their_digest(image_model):
    weights = image_model / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-8:] = b"\xff" * 8  # the last float of the last tensor becomes NaN
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelDirError, match="SHA-256"):
        transferkit.load(image_model)


def test_weights_that_are_not_numbers_are_refused_without_a_digest(image_model):
    _edit(image_model, lambda r: r.update(checksums={}))
    tensors = load_file(str(image_model / "model.safetensors"))
    name = next(n for n, t in tensors.items() if t.dtype.kind == "f")
    tensors[name] = np.full_like(tensors[name], np.nan)
    save_file(tensors, str(image_model / "model.safetensors"))
    with pytest.raises(ModelDirError, match="not numbers"):
        transferkit.load(image_model)


def test_edited_classes_say_the_config_does_not_match_the_weights(image_model):
    _edit(image_model, lambda r: r.update(classes=["a", "b", "c"]))
    _edit(image_model, lambda r: r["head"]["tasks"].update(label=["a", "b", "c"]))
    with pytest.raises(ModelDirError, match=r"do not match its config\.json"):
        transferkit.load(image_model)


def test_every_file_is_as_readable_as_the_config(image_model):
    mode = (image_model / "config.json").stat().st_mode & 0o777
    assert {p.name: p.stat().st_mode & 0o777 for p in image_model.iterdir() if p.is_file()} == {
        p.name: mode for p in image_model.iterdir() if p.is_file()
    }
