"""Importing a badge from another issuer on a phone, then sharing it with a stranger.

The other issuer is a loopback server the app's fetcher is allowed to reach (the
live app's ``app.extensions["wallet.fetcher"]``); the browser only ever talks to the wallet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_fits_width
from tests.factories import PASSWORD, UserFactory
from tests.importing_support import BADGE_NAME, ISSUER_NAME, ForeignIssuer
from wallet import extensions as ext

pytestmark = pytest.mark.browser

EMAIL = "importer@shizuoka.ac.jp"


@pytest.fixture(scope="module")
def issuer(live_server: LiveServer) -> Iterator[ForeignIssuer]:
    with live_server.app.app_context():
        UserFactory(email=EMAIL, name="静岡 花子（しずおか はなこ）")
        ext.db.session.commit()
        ext.db.session.remove()
    with ForeignIssuer() as running:
        live_server.app.extensions["wallet.fetcher"] = running.fetcher()
        yield running
        live_server.app.extensions.pop("wallet.fetcher")


def _log_in(page: Page, base: str) -> None:
    page.goto(base + "/login")
    page.locator("main input[name=email]").fill(EMAIL)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(f"{base}/wallet")


def test_a_student_imports_a_badge_and_shares_it(
    live_server: LiveServer, issuer: ForeignIssuer, phone_page: Callable[[str], Page]
) -> None:
    base = live_server.url
    page = phone_page("ja-JP")
    _log_in(page, base)

    page.get_by_role("link", name="バッジをインポート").click()
    assert_fits_width(page)
    page.get_by_label("バッジのアドレス").fill(issuer.hosted(EMAIL))
    page.locator("form[action$='/import/url'] button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text("バッジをウォレットに追加しました")
    expect(page.get_by_role("heading", level=1)).to_have_text(BADGE_NAME)
    expect(page.locator(".mark-imported")).to_be_visible()
    assert_fits_width(page)

    # private until made public: a stranger finds nothing yet
    page.locator("#share form button[type=submit]").click()
    share_url = page.locator("#share-url").input_value()
    assert share_url.startswith(base + "/b/")
    expect(page.locator("#share img.qr")).to_be_visible()
    assert_fits_width(page)

    stranger = phone_page("en-US")
    stranger.goto(share_url)
    expect(stranger.get_by_role("heading", level=1)).to_contain_text("Valid badge")
    expect(stranger.locator(".verdict-summary")).to_contain_text(ISSUER_NAME)
    expect(stranger.locator(".checked-at")).to_contain_text("Checked with the issuer at")
    expect(
        stranger.get_by_text(f"{ISSUER_NAME} issued this badge; this wallet did not.")
    ).to_be_visible()
    assert_fits_width(stranger)

    # the wallet lists it with its issuer
    page.goto(base + "/wallet#imported")
    imported = page.locator("#imported")
    expect(imported).to_contain_text(BADGE_NAME)
    expect(imported).to_contain_text(ISSUER_NAME)


def test_a_baked_image_is_imported_and_a_badge_for_someone_else_is_refused(
    live_server: LiveServer, issuer: ForeignIssuer, phone_page: Callable[[str], Page]
) -> None:
    base = live_server.url
    page = phone_page("ja-JP")
    _log_in(page, base)
    page.goto(base + "/wallet/import")

    other = issuer.hosted("someone@example.org", hashed=False)
    page.get_by_label("バッジのアドレス").fill(other)
    page.locator("form[action$='/import/url'] button[type=submit]").click()
    expect(page.locator(".error")).to_contain_text("このバッジの授与先は someone@example.org で")
    expect(page.get_by_label("バッジのアドレス")).to_have_value(other)
    assert_fits_width(page)

    image = issuer.baked_png(issuer.hosted(EMAIL))
    page.locator("input[name=image]").set_input_files(
        files=[{"name": "badge.png", "mimeType": "image/png", "buffer": image}]
    )
    page.locator("form[action$='/import/image'] button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text("バッジをウォレットに追加しました")
