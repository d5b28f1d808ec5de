"""Sanitised SVG in a real browser: drawn as before, and silent when pasted into a page.

Other backpacks inline badge images into their own HTML, where no sandbox applies.
These tests do the same in chromium with every request refused and recorded.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, Route

from tests.svg_support import CORPUS, corpus
from wallet.services.errors import ImageRejectedError
from wallet.services.svg import sanitise_svg

pytestmark = pytest.mark.browser


@pytest.fixture
def desk_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 800, "height": 600})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _picture(page: Page, svg: bytes) -> bytes:
    """A screenshot of the SVG drawn as an <img>, 240 pixels square."""
    source = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    page.set_content(f'<body style="margin:0"><img src="{source}" width="240" height="240"></body>')
    image = page.locator("img")
    image.evaluate("img => img.decode()")
    return image.screenshot()


@pytest.mark.parametrize("path", corpus("benign"), ids=lambda path: path.stem)
def test_sanitised_badges_look_the_same(desk_page: Page, path: Path) -> None:
    original = path.read_bytes()
    assert _picture(desk_page, sanitise_svg(original)) == _picture(desk_page, original)


def _inlined(page: Page, documents: list[bytes]) -> list[str]:
    """Pastes the SVG documents into one HTML page; what it tried to fetch or run."""
    attempts: list[str] = []

    def refuse(route: Route) -> None:
        route.abort()

    page.route("**/*", refuse)
    page.on("request", lambda request: _record(attempts, request))
    page.on("dialog", lambda dialog: attempts.append(f"dialog {dialog.message}"))
    markup = "".join(document.decode() for document in documents)
    page.set_content(f"<!DOCTYPE html><html><body>{markup}</body></html>")
    page.wait_for_timeout(500)  # animations and late loads
    page.mouse.click(50, 50)
    page.wait_for_timeout(200)
    return attempts


def _record(attempts: list[str], request: Request) -> None:
    if not request.url.startswith("data:"):
        attempts.append(request.url)


def test_sanitised_images_pasted_into_a_page_fetch_and_run_nothing(desk_page: Page) -> None:
    kept = []
    for path in corpus("hostile") + corpus("benign"):
        try:
            kept.append(sanitise_svg(path.read_bytes()))
        except ImageRejectedError:
            continue
    assert len(kept) > len(corpus("benign"))
    assert _inlined(desk_page, kept) == []


def test_the_page_does_notice_an_image_that_reaches_outside(desk_page: Page) -> None:
    """The check above would pass on a page that records nothing: make sure it records."""
    hostile = CORPUS / "hostile" / "presentation-fill.svg"
    attempts = _inlined(desk_page, [hostile.read_bytes()])
    assert any("evil.example" in url for url in attempts)


def test_the_comparison_does_see_a_lost_clip_path(desk_page: Page) -> None:
    """The comparison above would pass if nothing were drawn: make sure it sees a change."""
    original = (CORPUS / "benign" / "illustrator-badge.svg").read_bytes()
    unclipped = original.replace(b".st5{clip-path", b".st5{-x-clip-path")
    assert _picture(desk_page, unclipped) != _picture(desk_page, original)
