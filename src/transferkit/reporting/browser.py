"""Check a report in headless Chromium: a screenshot, and whether every image decoded.

Chromium is optional (``apt-get install -y chromium`` on Debian). The flags below are the
ones that work offline and as root: no sandbox, no GPU, no network services, and a fresh
profile in a temporary directory for every run.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["find_chromium", "render_check", "screenshot"]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FALLBACK = "/usr/bin/chromium"
BASE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable on PATH, else ``/usr/bin/chromium``, else None."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return FALLBACK if os.access(FALLBACK, os.X_OK) else None


def _run_chromium(args: list[str], timeout: float) -> tuple[str, str]:
    """Run Chromium with the base flags, a fresh profile and ``args``; return its stdout
    and stderr."""
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError(
            "Chromium was not found (looked for chromium, chromium-browser, google-chrome on "
            f"PATH and {FALLBACK}); install it, e.g. `apt-get install -y chromium`."
        )
    with tempfile.TemporaryDirectory(prefix="transferkit-chromium-") as profile:
        cmd = [chromium, *BASE_FLAGS, f"--user-data-dir={profile}", *args]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, signal.SIGKILL)  # Chromium's own helper processes too
            proc.communicate()
            raise RuntimeError(f"Chromium did not finish within {timeout} s: {cmd}") from exc
    if proc.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"Chromium failed with exit code {proc.returncode}: {cmd}\n{tail}")
    return stdout, stderr


def screenshot(
    html_path: Path, png_path: Path, width: int = 1280, height: int = 2400, timeout: float = 60
) -> Path:
    """Render ``html_path`` in headless Chromium and save a ``width`` x ``height`` PNG.

    Raises:
        RuntimeError: Chromium is missing, fails, times out or writes no screenshot.
    """
    html_path, png_path = Path(html_path).resolve(), Path(png_path).resolve()
    if not html_path.is_file():
        raise FileNotFoundError(f"No such HTML file: {html_path}")
    png_path.parent.mkdir(parents=True, exist_ok=True)
    png_path.unlink(missing_ok=True)
    args = [f"--window-size={width},{height}", f"--screenshot={png_path}", html_path.as_uri()]
    _run_chromium(args, timeout)
    if not png_path.is_file() or png_path.stat().st_size == 0:
        raise RuntimeError(f"Chromium exited without writing the screenshot {png_path}.")
    return png_path


def _body_data(dom: str, name: str) -> str | None:
    body = re.search(r"<body\b[^>]*>", dom, flags=re.IGNORECASE)
    if body is None:
        return None
    value = re.search(rf'\bdata-{name}="([^"]*)"', body.group(0))
    return value.group(1) if value else None


# Chromium logs every console message (console.log and console.error alike, uncaught
# errors too) at INFO level as: [pid:tid:date:INFO:CONSOLE:12] "message", source: url (12)
CONSOLE_LINE = re.compile(r":CONSOLE(?::\d+|\(\d+\))\] (.*)$", re.MULTILINE)


def _page_text(dom: str) -> str:
    """The text a reader sees: the body without scripts, styles and tags."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.IGNORECASE | re.DOTALL)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))).strip()


def render_check(html_path: Path, timeout: float = 60) -> dict[str, Any]:
    """Load a report in headless Chromium and report whether all its images decoded.

    Runs ``chromium --headless ... --enable-logging=stderr --virtual-time-budget=5000
    --dump-dom file://...``. The report page carries a small inline script that, on
    ``load``, checks ``img.complete && img.naturalWidth > 0`` for every image and sets
    ``document.body.dataset.imagesOk`` to ``"yes"`` or ``"no"`` (plus ``imageCount`` and
    ``imagesLoaded``); the virtual time budget lets the load event fire before the DOM is
    dumped, so the attributes show up as ``data-images-ok`` etc. on ``<body>``.

    Returns:
        ``{"img_count": <img> elements in the DOM, "images_ok": "yes" | "no" | None (None: the
        script did not run, e.g. not a transferkit report), "images_loaded": int | None,
        "all_images_loaded": bool, "console": every console message the page logged (a
        report logs none; Chromium does not tell errors from other messages), "text": the
        page's visible text, "dom": the rendered DOM}``.

    Raises:
        RuntimeError: Chromium is missing, fails or times out.
    """
    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise FileNotFoundError(f"No such HTML file: {html_path}")
    args = ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom"]
    dom, log = _run_chromium([*args, html_path.as_uri()], timeout)
    img_count = len(re.findall(r"<img\b", dom, flags=re.IGNORECASE))
    images_ok = _body_data(dom, "images-ok")
    loaded = _body_data(dom, "images-loaded")
    return {
        "img_count": img_count,
        "images_ok": images_ok,
        "images_loaded": int(loaded) if loaded and loaded.isdigit() else None,
        "all_images_loaded": images_ok == "yes",
        "console": CONSOLE_LINE.findall(log),
        "text": _page_text(dom),
        "dom": dom,
    }
