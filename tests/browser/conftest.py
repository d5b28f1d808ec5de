"""Playwright on Debian's chromium against a live server with its own database.

Each module gets a fresh database and a real SMTP server on loopback; the app
delivers mail through a Huey consumer thread, as a production worker would.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import fresh_app
from tests.factories import png_bytes
from tests.smtp import SMTPServer, free_port
from wallet.models import Department
from wallet.services import issuing

CHROMIUM = os.environ.get("WALLET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
pytestmark = pytest.mark.browser


@dataclass
class LiveServer:
    app: Flask
    url: str
    smtp: SMTPServer
    server: BaseWSGIServer


def _closing(app: Flask) -> Callable[[dict[str, Any], Any], list[bytes]]:
    """The app with each response read whole and closed before it is sent. Werkzeug's
    development server skips closing a response when the browser drops the connection
    while the server drains it (a favicon the next page no longer needs): the file left
    open is a ResourceWarning that fails whichever test the garbage collector runs in."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    instance: Path = tmp_path_factory.mktemp("live")
    port = free_port()
    smtp = SMTPServer()
    smtp.start()
    with fresh_app(
        instance,
        base_url=f"http://127.0.0.1:{port}",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=False,
        huey_immediate=True,
        ratelimit_enabled=False,
    ) as app:
        server = make_server("127.0.0.1", port, _closing(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield LiveServer(app=app, url=f"http://127.0.0.1:{port}", smtp=smtp, server=server)
        server.shutdown()
    smtp.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Callable[[str], Page]]:
    """Opens phone-sized pages (360 px wide) for a browser language such as ``en-US``."""
    contexts: list[BrowserContext] = []

    def open_page(locale: str) -> Page:
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(phone_page: Callable[[str], Page]) -> Page:
    """A phone-sized page (360 px wide) with a Japanese browser."""
    return phone_page("ja-JP")


def save_university(session: Session) -> None:
    """The university's issuer profile, saved through the issuing service as staff would."""
    issuing.save_issuer(
        session,
        issuing.IssuerDetails(
            name="静岡大学",
            name_en="Shizuoka University",
            url="https://www.shizuoka.ac.jp/",
            email="openbadge@shizuoka.ac.jp",
        ),
        max_image_bytes=512 * 1024,
    )


def university_department(session: Session) -> Department:
    """The university's first department, made (全学 / University-wide) if it has none."""
    found = session.scalar(select(Department).order_by(Department.id).limit(1))
    return found or issuing.create_department(session, "全学", "University-wide")


def assert_fits_width(page: Page) -> None:
    """No sideways scroll at the current viewport width.

    Right after a click that navigates, the new document may not exist yet (Playwright's
    click returns once the navigation started): wait for it to load first.
    """
    page.wait_for_load_state("load")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


# The images a share page is drawn with (/b/<share_id>/og.png, qr.png, qr.svg, badge.png)
# come from their own blueprint. Where the app has no route for one, a stand-in answers,
# so the pages that show them can be checked on their own; where it has, the app answers.
SHARE_IMAGE = re.compile(r"^/b/[^/]+/(og\.png|qr\.png|qr\.svg|badge\.png)$")
_STAND_IN_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="29" height="29" viewBox="0 0 29 29">'
    b'<rect width="29" height="29" fill="#fff"/><rect x="2" y="2" width="7" height="7"/></svg>'
)


def stand_in_share_images(context: BrowserContext, app: Flask) -> None:
    adapter = app.url_map.bind("127.0.0.1")

    def answer(route: Route) -> None:
        path = urlsplit(route.request.url).path
        try:
            adapter.match(path, method="GET")
        except HTTPException:
            svg = path.endswith(".svg")
            route.fulfill(
                status=200,
                content_type="image/svg+xml" if svg else "image/png",
                body=_STAND_IN_SVG if svg else png_bytes(96),
            )
        else:
            route.continue_()

    context.route(lambda url: bool(SHARE_IMAGE.match(urlsplit(url).path)), answer)
