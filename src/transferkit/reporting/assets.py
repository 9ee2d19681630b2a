"""The inline stylesheet and script of the HTML report (no external CSS, JS or fonts)."""

from __future__ import annotations

__all__ = ["IMAGE_CHECK_SCRIPT", "STYLESHEET"]

STYLESHEET = """
:root {
  --ink: #1f2933; --muted: #5f6b76; --line: #dde3e9; --soft: #f5f7f9; --accent: #2f6fb3;
  --info: #2f6fb3; --info-bg: #eef4fb; --good: #2e7d4f; --good-bg: #ecf7f0;
  --warn: #a8650f; --warn-bg: #fdf5e6; --bad: #b3261e; --bad-bg: #fcebea;
}
* { box-sizing: border-box; }
html { background: #eef1f4; }
body {
  margin: 0; color: var(--ink); line-height: 1.55; font-size: 15px;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue",
    "Noto Sans", "Liberation Sans", "DejaVu Sans", Arial, sans-serif;
}
.page {
  max-width: 1120px; margin: 24px auto; background: #fff; border: 1px solid var(--line);
  border-radius: 10px; box-shadow: 0 1px 3px rgba(16, 24, 40, .06);
}
header.report-header {
  padding: 28px 40px 22px; border-bottom: 1px solid var(--line);
  border-top: 5px solid var(--accent); border-radius: 10px 10px 0 0;
}
header.report-header h1 { margin: 0; font-size: 28px; line-height: 1.25; letter-spacing: -.01em; }
header.report-header .subtitle { margin: 6px 0 0; color: var(--muted); font-size: 16px; }
main { padding: 8px 40px 24px; }
h2 {
  font-size: 21px; margin: 34px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line);
}
p { margin: 0 0 12px; max-width: 78ch; }
.summary {
  margin: 24px 0 8px; padding: 16px 20px; background: var(--soft);
  border: 1px solid var(--line); border-radius: 8px;
}
.summary h2 { margin: 0 0 10px; padding: 0; border: 0; font-size: 17px; }
.summary ul { margin: 0; padding: 0; list-style: none; }
.summary li { margin: 6px 0; display: flex; gap: 10px; align-items: baseline; }
.summary a { color: var(--ink); text-decoration: none; font-weight: 600; white-space: nowrap; }
.summary a:hover { text-decoration: underline; }
.badge {
  display: inline-block; min-width: 76px; text-align: center; font-size: 11px; font-weight: 700;
  letter-spacing: .04em; text-transform: uppercase; padding: 2px 8px; border-radius: 999px;
  color: #fff; flex: none;
}
.badge.info { background: var(--info); } .badge.good { background: var(--good); }
.badge.warn { background: var(--warn); } .badge.bad { background: var(--bad); }
.verdict {
  margin: 14px 0 16px; padding: 12px 16px; border-left: 5px solid var(--info);
  background: var(--info-bg); border-radius: 0 6px 6px 0; font-weight: 600; font-size: 16px;
}
.verdict.good { border-color: var(--good); background: var(--good-bg); }
.verdict.warn { border-color: var(--warn); background: var(--warn-bg); }
.verdict.bad { border-color: var(--bad); background: var(--bad-bg); }
table { border-collapse: collapse; margin: 6px 0 20px; font-size: 14px; min-width: 40%; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: 6px; }
th, td { border: 1px solid var(--line); padding: 6px 12px; text-align: left; }
thead th { background: var(--soft); font-weight: 600; }
tbody tr:nth-child(even) td { background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; flex-wrap: wrap; gap: 20px 28px; align-items: flex-start; }
.clips { display: flex; flex-wrap: wrap; gap: 12px 20px; }
.clip { margin: 0; }
.clip figcaption { font-size: 0.85em; }
figure { margin: 8px 0 16px; max-width: 100%; }
figure img {
  display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px;
}
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 6px; }
figcaption b { color: var(--ink); }
footer { padding: 14px 40px 22px; color: var(--muted); font-size: 12.5px;
  border-top: 1px solid var(--line); }
@media (max-width: 700px) { header.report-header, main, footer { padding-left: 16px;
  padding-right: 16px; } }
@media print {
  html { background: #fff; } .page { border: 0; box-shadow: none; margin: 0; max-width: none; }
  figure, table, .verdict { break-inside: avoid; }
}
"""

# Sets data-images-ok="yes"/"no" (and the counts) on <body> once the page has loaded, so a
# headless browser's --dump-dom shows whether every embedded image decoded.
IMAGE_CHECK_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; });
  document.body.dataset.imageCount = String(images.length);
  document.body.dataset.imagesLoaded = String(loaded.length);
  document.body.dataset.imagesOk = loaded.length === images.length ? "yes" : "no";
});
"""
