"""The verify page on a phone: a stranger uploads a badge image and reads the verdict.

The badge comes from another issuer on loopback (``tests/remote_issuer.py``), reached by
the live server through the safe fetcher and an explicit allow-list. The recipient check
runs in the browser: the typed address is hashed there and no request carries it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import LiveServer, assert_fits_width
from tests.remote_issuer import RECIPIENT, RemoteIssuer, baked_by_bakery, remote_issuer

pytestmark = [
    pytest.mark.browser,
    # openbadges-bakery calls a deprecated rfc3986 helper; that is its business, not ours.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:rfc3986.*"),
]

BROWSER_LOCALE = {"ja": "ja-JP", "en": "en-US"}
WORDS = {
    "ja": {
        "valid": "有効なバッジです",
        "revoked": "発行者により取り消されました",
        "upload": "画像を確認する",
        "compare": "照合する",
        "yes": "このアドレスはバッジの受領者のものです。",
        "no": "このアドレスはバッジの受領者のものではありません。",
    },
    "en": {
        "valid": "Valid badge",
        "revoked": "Revoked by the issuer",
        "upload": "Check the image",
        "compare": "Compare",
        "yes": "This address is the badge's recipient.",
        "no": "This address is not the badge's recipient.",
    },
}


@pytest.fixture(scope="module")
def issuer(live_server: LiveServer) -> Iterator[RemoteIssuer]:
    with remote_issuer(live_server.app) as running:
        yield running


def _upload(page: Page, base: str, image: bytes, lang: str) -> None:
    page.goto(f"{base}/verify")
    page.locator("main input[name=image]").set_input_files(
        {"name": "badge.png", "mimeType": "image/png", "buffer": image}
    )
    page.get_by_role("button", name=WORDS[lang]["upload"]).click()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_baked_png_uploaded_on_a_phone_shows_its_verdict(
    live_server: LiveServer,
    issuer: RemoteIssuer,
    phone_page: Callable[[str], Page],
    lang: str,
) -> None:
    page = phone_page(BROWSER_LOCALE[lang])
    image = baked_by_bakery(json.dumps(issuer.hosted("phone").to_json()))
    _upload(page, live_server.url, image, lang)
    verdict = page.locator("section.verdict h1")
    expect(verdict).to_contain_text(WORDS[lang]["valid"])
    expect(page.locator("section.verdict")).to_contain_text("Python Programming")
    assert verdict.bounding_box()["y"] < 740  # type: ignore[index]
    assert_fits_width(page)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_recipient_is_checked_in_the_browser(
    live_server: LiveServer,
    issuer: RemoteIssuer,
    phone_page: Callable[[str], Page],
    lang: str,
) -> None:
    page = phone_page(BROWSER_LOCALE[lang])
    page.goto(f"{live_server.url}/verify?url={issuer.hosted('recipient').id}")
    expect(page.locator("section.verdict h1")).to_contain_text(WORDS[lang]["valid"])
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    box = page.locator(".recipient-check input[name=email]")
    answer = page.locator(".recipient-check .recipient-answer")
    box.fill("  " + RECIPIENT.upper())
    page.get_by_role("button", name=WORDS[lang]["compare"]).click()
    expect(answer).to_have_text(WORDS[lang]["yes"])
    box.fill("someone.else@example.org")
    page.get_by_role("button", name=WORDS[lang]["compare"]).click()
    expect(answer).to_have_text(WORDS[lang]["no"])
    assert sent == [], [request.url for request in sent]  # the address never left the page
    assert_fits_width(page)


def test_a_revoked_badge_on_a_phone(
    live_server: LiveServer, issuer: RemoteIssuer, phone_page: Callable[[str], Page]
) -> None:
    page = phone_page("ja-JP")
    url = issuer.revoke_in_document("gone", "誤って発行したため")
    page.goto(f"{live_server.url}/verify?url={url}")
    expect(page.locator("section.verdict h1")).to_contain_text(WORDS["ja"]["revoked"])
    expect(page.locator("section.verdict")).to_contain_text("誤って発行したため")
    assert_fits_width(page)
