"""Headless Chromium (Debian ``chromium``) for the report tests: a screenshot and the DOM after scripts ran."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=10000"]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is not installed (scripts/test installs the Debian package)"
    return found


def _run(page: Path, *extra: str) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        done = subprocess.run([_chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(page: Path, png: Path, width: int = 1400, height: int = 2400) -> Path:
    _run(page, f"--window-size={width},{height}", f"--screenshot={png}")
    assert png.exists(), f"chromium wrote no screenshot of {page}"
    return png


def image_counts(page: Path) -> tuple[int, int]:
    """(loaded, broken) images, as the page's own check left them on <body> once everything had loaded."""
    dom = _run(page, "--dump-dom")
    loaded = re.search(r'data-images-loaded="(\d+)"', dom)
    broken = re.search(r'data-images-broken="(\d+)"', dom)
    assert loaded and broken, f"the page's image check did not run: {dom[:500]}"
    return int(loaded[1]), int(broken[1])
