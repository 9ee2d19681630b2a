"""The reports users open, rendered in headless Chromium: a fit report and a compare
report from real runs (tiny models), with every image loaded. Screenshots are kept in
``$TRANSFERKIT_SCREENSHOTS`` (default: the test's temporary folder) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

import transferkit
from tests.conftest import write_image_folder
from tests.reporting.test_browser import chromium  # noqa: F401 - the fixture
from transferkit.reporting.browser import render_check, screenshot


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TRANSFERKIT_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check(html: Path, png: Path) -> None:
    result = render_check(html)
    assert result["images_ok"] == "yes" and result["img_count"] >= 1, result
    screenshot(html, png, height=3200)
    with Image.open(png) as img:
        assert img.size[0] == 1280 and len(img.convert("RGB").getcolors(1 << 20) or []) > 200


@pytest.mark.browser
def test_fit_report_renders(chromium, image_splits, tmp_path):  # noqa: F811
    result = transferkit.fit(
        image_splits,
        "tiny-cnn",
        "finetune",
        epochs=3,
        batch_size=8,
        test_split="val",
        out=tmp_path / "model",
    )
    _check(result.out / "report.html", _shots(tmp_path) / "fit-report.png")


@pytest.mark.browser
def test_compare_report_renders(chromium, tmp_path):  # noqa: F811
    root = tmp_path / "cmp"
    write_image_folder(root / "train", 10, seed=1)
    write_image_folder(root / "test", 5, seed=2)
    result = transferkit.compare(
        root,
        "tiny-cnn",
        ["linear-probe", "scratch"],
        [2, 4, "all"],
        seeds=2,
        out=tmp_path / "cmp-out",
        options={"scratch": {"epochs": 1}},
    )
    _check(result.out / "report.html", _shots(tmp_path) / "compare-report.png")
