"""The HTML conformance report renders in a real browser (headless Chromium).

A screenshot-level smoke check: a small real ``lossapi check --report`` run is opened from a
``file://`` URL (offline, as a user opens it) and must give a non-blank page of the requested
size whose colour-coded cells are drawn, and whose DOM holds the matrix and check tables with
the loss rows. Skipped when no Chromium binary is installed (Debian: ``apt-get install
chromium``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lossapi.cli import main

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_BROWSER = next((path for name in _BROWSERS if (path := shutil.which(name))), None)

pytestmark = pytest.mark.skipif(
    _BROWSER is None,
    reason=f"no headless browser on PATH (looked for {', '.join(_BROWSERS)}); "
    "install Debian's `chromium` package to run the report rendering check",
)

WIDTH, HEIGHT = 1280, 900
LOSSES = ("huber", "cross_entropy")
# The page's "pass" cell colour (#dcf5e0): drawn only if the inline CSS applied.
PASS_RGB = np.array([0xDC, 0xF5, 0xE0]) / 255.0


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    argv = ["check", "--backends", "numpy", "--losses", ",".join(LOSSES), "--no-progress", "--report", str(path)]
    assert main(argv) == 0
    return path


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A private profile directory: parallel test workers must not share Chromium's profile lock.
    cmd = [
        _BROWSER,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{_BROWSER} did not finish within {e.timeout} s: {' '.join(cmd)}")
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}"
    return proc


def test_screenshot_is_a_rendered_page(report_file: Path, tmp_path: Path):
    import matplotlib.image as mpimg

    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", report_file.as_uri())
    assert shot.is_file() and shot.stat().st_size > 0
    img = mpimg.imread(shot)[..., :3]  # float RGB in [0, 1]
    assert img.shape[:2] == (HEIGHT, WIDTH)
    assert float(img.std()) > 0.05, "the screenshot is (nearly) one flat colour"
    non_white = (img < 0.9).any(axis=-1)
    assert non_white.mean() > 0.01, "the screenshot has almost no ink: the page did not render"
    green = (np.abs(img - PASS_RGB) < 0.02).all(axis=-1)
    assert green.sum() > 500, "no 'pass' colour visible: the inline style sheet did not apply"


def test_dom_holds_the_tables(report_file: Path, tmp_path: Path):
    from test_report import parse_tables

    dom = _chromium(tmp_path, "--dump-dom", report_file.as_uri()).stdout
    tables = parse_tables(dom)
    assert tables["matrix"][0] == ["loss", "numpy"]
    assert sorted(row[0] for row in tables["matrix"][1:]) == sorted(LOSSES)
    checks = tables["checks"][1:]
    assert {row[0] for row in checks} == set(LOSSES)
    heading = re.search(r"Checks \((\d+), failures first\)", dom)
    assert heading is not None and int(heading.group(1)) == len(checks)
    assert all(row[3] in ("pass", "skip") for row in checks)
