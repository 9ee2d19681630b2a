"""Model directories written by transferkit 0.1.0 (model format 1) still load and predict
what their run reported. The directories in tests/data/format1 were written by the code
as it was before the typed-record refactor (one per kind of head and architecture
change: linear probe, bottleneck head, fine-tuned backbone, LoRA adapters, multi-task
heads), with the inputs their predictions refer to."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import transferkit

FORMAT1 = Path(__file__).resolve().parents[1] / "data" / "format1"
INPUTS = FORMAT1 / "inputs"
MODELS = sorted(p.name for p in FORMAT1.iterdir() if (p / "config.json").exists())


def _reported(model_dir: Path) -> tuple[list[str], np.ndarray]:
    with open(model_dir / "predictions.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test"]
    columns = [c for c in rows[0] if c.startswith("p_")]
    return [r["input"] for r in rows], np.array([[float(r[c]) for c in columns] for r in rows])


def _inputs(name: str, origins: list[str]) -> list[object]:
    if name.startswith("image"):
        return [str(INPUTS / "images" / o) for o in origins]
    table = INPUTS / ("tasks.csv" if "multitask" in name else "texts.csv")
    with open(table, newline="") as fh:
        texts = [r["text"] for r in csv.DictReader(fh)]
    return [texts[int(o.rsplit(" ", 1)[1]) - 2] for o in origins]  # "test.csv row N"


def test_every_kind_of_model_is_kept():
    assert MODELS == [
        "image-dann",
        "image-finetune",
        "image-linear-probe",
        "text-lora",
        "text-multitask",
    ]


@pytest.mark.parametrize("name", MODELS)
def test_format1_directory_predicts_what_its_run_reported(name):
    origins, expected = _reported(FORMAT1 / name)
    model = transferkit.load(FORMAT1 / name)
    proba = model.predict_proba(_inputs(name, origins))
    np.testing.assert_allclose(proba, expected, atol=1e-5)
