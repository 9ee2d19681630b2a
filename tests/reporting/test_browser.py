"""The report in a real browser: every image decodes and the page is not blank.

Tests marked ``browser`` need Chromium (``apt-get install -y chromium``); without it they
are skipped, unless ``TRANSFERKIT_REQUIRE_BROWSER=1`` (CI) makes a missing browser a failure.
"""

from __future__ import annotations

import os
import re
from html import unescape
from pathlib import Path

import pytest
from PIL import Image

from tests.reporting import helpers as h
from transferkit.reporting import Report, Section
from transferkit.reporting import browser as browser_module
from transferkit.reporting.browser import find_chromium, render_check, screenshot
from transferkit.reporting.canvas import NON_FINITE


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


@pytest.mark.browser
def test_render_check_sees_console_errors_and_the_page_text(chromium: str, tmp_path: Path) -> None:
    html_path, _ = Report("Broken").add(Section("S", text="Accuracy nan.")).write(tmp_path)
    script = "<script>console.error('boom'); missingFunction();</script></main>"
    html_path.write_text(html_path.read_text().replace("</main>", script))
    result = render_check(html_path)
    assert any("boom" in m for m in result["console"]), result["console"]
    assert any("missingFunction is not defined" in m for m in result["console"])
    assert "Accuracy nan." in result["text"] and "console.error" not in result["text"]
    assert NON_FINITE.search(result["text"])


@pytest.fixture(scope="module")
def every_figure(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    report = h.every_figure_report()
    html_path, _ = report.write(tmp_path_factory.mktemp("every-figure"))
    return html_path, report


@pytest.mark.browser
def test_every_kind_of_figure_renders_in_chromium(
    chromium: str, every_figure: tuple[Path, Report], tmp_path: Path
) -> None:
    html_path, report = every_figure
    figures = [f for s in report.sections for f in s.figures]
    assert len(figures) == len(h.FIGURE_KINDS) and all(f.faults == [] for f in figures)
    result = render_check(html_path)
    assert result["console"] == []
    assert result["images_ok"] == "yes", result["images_ok"]
    assert result["img_count"] == result["images_loaded"] == len(figures)
    for kind in h.FIGURE_KINDS:
        assert kind in result["text"]
    assert NON_FINITE.search(result["text"]) is None
    alts = [unescape(a) for a in re.findall(r'<img [^>]*alt="([^"]*)"', result["dom"])]
    assert len(alts) == len(figures) and not [a for a in alts if NON_FINITE.search(a)]
    shots = Path(os.environ.get("TRANSFERKIT_SCREENSHOTS", tmp_path))
    screenshot(html_path, shots / "every-figure.png", height=9000)


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
