"""The report in a real browser: every image decodes and the page is not blank.

Tests marked ``browser`` need Chromium (``apt-get install -y chromium``); without it they
are skipped, unless ``TRANSFERKIT_REQUIRE_BROWSER=1`` (CI) makes a missing browser a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from transferkit.reporting import Report, Section
from transferkit.reporting import browser as browser_module
from transferkit.reporting.browser import find_chromium, render_check, screenshot


@pytest.fixture
def chromium() -> str:
    found = find_chromium()
    if found is None:
        message = "Chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("TRANSFERKIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}, and TRANSFERKIT_REQUIRE_BROWSER=1")
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, report: Report) -> Path:
    html_path, _ = report.write(tmp_path_factory.mktemp("browser-report"))
    return html_path


@pytest.mark.browser
def test_all_images_load(chromium: str, written: Path, report: Report) -> None:
    result = render_check(written)
    n_figures = sum(len(s.figures) for s in report.sections)
    assert result["images_ok"] == "yes", result
    assert result["img_count"] == n_figures == result["images_loaded"]
    assert result["all_images_loaded"] is True


@pytest.mark.browser
def test_screenshot_is_a_rendered_page(chromium: str, written: Path, tmp_path: Path) -> None:
    png = screenshot(written, tmp_path / "report.png")
    assert png == (tmp_path / "report.png").resolve()
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.stat().st_size > 50_000
    with Image.open(png) as image:
        assert image.size == (1280, 2400)
        colors = image.convert("RGB").getcolors(maxcolors=1 << 24)
    assert colors is not None and len(colors) > 200, "the page looks blank"


@pytest.mark.browser
def test_render_check_sees_a_broken_image(chromium: str, tmp_path: Path) -> None:
    html_path, _ = Report("Broken").add(Section("S")).write(tmp_path)
    page = html_path.read_text().replace("</main>", '<img src="data:image/png;base64,AAAA"></main>')
    html_path.write_text(page)
    result = render_check(html_path)
    assert result["img_count"] == 1 and result["images_ok"] == "no"


def test_missing_chromium_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(browser_module, "FALLBACK", str(tmp_path / "no-chromium"))
    assert find_chromium() is None
    html_path = tmp_path / "r.html"
    html_path.write_text("<html></html>")
    with pytest.raises(RuntimeError, match="apt-get install -y chromium"):
        screenshot(html_path, tmp_path / "r.png")
    with pytest.raises(RuntimeError, match="Chromium was not found"):
        render_check(html_path)


def test_failing_chromium_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(browser_module, "find_chromium", lambda: str(fake))
    html_path = tmp_path / "r.html"
    html_path.write_text("<html></html>")
    with pytest.raises(RuntimeError, match=r"exit code 3(?s:.)*cannot open display"):
        screenshot(html_path, tmp_path / "r.png")
