"""Playwright on Debian's chromium against a live server with its own database.

Each module gets a fresh database and a real SMTP server on loopback; the app
delivers mail through a Huey consumer thread, as a production worker would.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import fresh_app
from tests.smtp import SMTPServer, free_port
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
        server = make_server("127.0.0.1", port, app, threaded=True)
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


def assert_fits_width(page: Page) -> None:
    """No sideways scroll at the current viewport width."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"
