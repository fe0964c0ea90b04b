"""Render an HTML file in headless Chromium (Debian's ``chromium``): a screenshot, the DOM, the console.

Tests call :func:`need_chromium` first: it skips the test on a developer
machine without Chromium, and fails it when the ``CI`` environment variable is
set, so CI can never pass by skipping (``make setup`` installs it).

Chromium runs as root here, so it needs ``--no-sandbox``; every background
service that would reach the network is switched off, and the profile is a
fresh temporary folder. The page's console goes to stderr
(``--enable-logging=stderr``), where Content-Security-Policy violations show:
a page that tried to load anything from outside leaves a line there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--disable-extensions",
    "--mute-audio",
)


def chromium() -> str | None:
    """Path of the Chromium program, or None."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def need_chromium() -> str:
    """The Chromium program; skip the calling test without it, or fail it when ``CI`` is set."""
    found = chromium()
    if found is None:
        message = "headless Chromium is not installed (Debian/Ubuntu: apt-get install chromium; make setup does it)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {message}")
        pytest.skip(message)
    return found


@dataclass
class Rendered:
    """What Chromium made of a page."""

    screenshot: np.ndarray  # (H, W, 3) uint8 RGB
    dom: str  # the DOM after parsing, serialised
    console: str  # Chromium's log, with the page's console messages


def _run(program: str, args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [program, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def render(html_path: str | os.PathLike, *, width: int = 1000, height: int = 4000) -> Rendered:
    """Load ``html_path`` from disk in headless Chromium; return its screenshot, DOM and console log."""
    import cv2

    program = need_chromium()
    url = Path(html_path).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="formcam-chromium-") as tmp_name:
        tmp = Path(tmp_name)
        png = tmp / "page.png"
        shot = _run(program, [f"--screenshot={png}", f"--window-size={width},{height}", url], tmp / "profile-a")
        if not png.is_file():
            raise AssertionError(f"Chromium wrote no screenshot: {shot.stderr[-2000:]}")
        bgr = cv2.imread(str(png))
        if bgr is None:
            raise AssertionError(f"Chromium's screenshot {png.name} is not a readable image.")
        image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        dom = _run(program, ["--enable-logging=stderr", "--v=0", "--dump-dom", url], tmp / "profile-b")
    return Rendered(screenshot=image, dom=dom.stdout, console=shot.stderr + dom.stderr)


def csp_violations(console: str) -> list[str]:
    """Lines where the page tried to load something its Content-Security-Policy forbids."""
    return [line for line in console.splitlines() if "Content Security Policy" in line or "violates" in line]


#: An attribute or CSS reference to anything outside the page (http:, https: or protocol-relative), or an @import.
EXTERNAL = re.compile(
    r"""(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.I,
)


#: Added to a copy of a page by :func:`sideways_scrolling`: the page itself, and every box that scrolls,
#: wider than shown.
_SIDEWAYS_PROBE = """<script>
const root = document.documentElement;
const found = [...document.querySelectorAll("body *")]
  .filter(e => e.scrollWidth > e.clientWidth + 1 \
&& !["visible", "hidden", "clip"].includes(getComputedStyle(e).overflowX))
  .map(e => `${e.tagName.toLowerCase()}.${e.className}: ${e.scrollWidth} px in ${e.clientWidth} px`);
if (root.scrollWidth > root.clientWidth) found.unshift(`the page: ${root.scrollWidth} px in ${root.clientWidth} px`);
document.body.setAttribute("data-sideways", JSON.stringify(found));
</script>"""


def sideways_scrolling(html_path: str | os.PathLike, *, width: int = 1280, height: int = 800) -> list[str]:
    """What scrolls sideways when ``html_path`` is shown in a ``width`` x ``height`` window: the page or any box in it.

    Empty when everything fits. A copy of the page with a small script at the
    end of its body is loaded (a page whose Content-Security-Policy forbids
    inline scripts cannot be measured this way).
    """
    import html
    import json

    program = need_chromium()
    page = Path(html_path).read_text(encoding="utf-8")
    assert "</body>" in page, f"{html_path} has no </body> to add the probe before"
    with tempfile.TemporaryDirectory(prefix="formcam-chromium-") as tmp:
        probe = Path(tmp) / "page.html"
        probe.write_text(page.replace("</body>", _SIDEWAYS_PROBE + "</body>", 1), encoding="utf-8")
        dom = _run(program, [f"--window-size={width},{height}", "--dump-dom", probe.as_uri()], Path(tmp) / "profile")
    found = re.search(r'data-sideways="([^"]*)"', dom.stdout)
    if found is None:
        raise AssertionError(f"the probe did not run: {dom.stderr[-2000:]}")
    return json.loads(html.unescape(found.group(1)))
