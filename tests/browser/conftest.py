"""Browser tests: Debian's Chromium, driven headless by playwright (no browser download, ever)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
HAVE_CHROMIUM = CHROMIUM.exists()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the web pages in headless Chromium")


@pytest.fixture
async def browser() -> AsyncIterator:
    """A headless Chromium; the test is skipped where playwright or Chromium is missing."""
    playwright_api = pytest.importorskip("playwright.async_api")
    if not HAVE_CHROMIUM:
        pytest.skip("Chromium missing: run tests/browser/ensure_chromium.sh")
    async with playwright_api.async_playwright() as pw:
        instance = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield instance
        finally:
            await instance.close()


@pytest.fixture
def screenshot_dir() -> Path:
    """Where pages are photographed for people to look at (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def jpeg_bytes() -> bytes:
    """A small real JPEG, as a phone camera would send."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (200, 60, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, 280, 180), fill=(250, 220, 60))
    draw.line((40, 60, 280, 180), fill=(0, 0, 0), width=6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
