"""On a phone: the graduation prompt in the wallet, "Later", and the data export
downloaded from the account page as a ZIP that holds the badge."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_fits_width
from tests.factories import PASSWORD, AwardFactory, BadgeClassFactory, IssuerFactory, UserFactory
from wallet import extensions as ext

pytestmark = pytest.mark.browser

TEXT = {
    "ja": ("卒業後もバッジを持ち続けるために", "あとで", "データをダウンロードする（ZIP）"),
    "en": ("Keep your badges after graduation", "Later", "Download my data (ZIP)"),
}


def _seed(live: LiveServer, lang: str) -> str:
    with live.app.app_context():
        issuer = IssuerFactory(mail_domains=["shizuoka.ac.jp"])
        student = UserFactory(email=f"keep.{lang}@inf.shizuoka.ac.jp", locale=lang)
        AwardFactory(
            badge_class=BadgeClassFactory(issuer=issuer, name="データサイエンス/基礎"),
            issued=True,
            user=student,
            recipient_email=student.email,
            accepted_at=datetime.now(UTC),
        )
        ext.db.session.commit()
        email = student.email
        ext.db.session.remove()
    return email


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_prompt_later_and_export_on_a_phone(
    live_server: LiveServer, phone_page: Callable[[str], Page], lang: str
) -> None:
    prompt, later, download = TEXT[lang]
    email = _seed(live_server, lang)
    page, base = phone_page("ja-JP" if lang == "ja" else "en-US"), live_server.url
    page.goto(base + "/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/wallet$"))
    expect(page.get_by_role("heading", name=prompt)).to_be_visible()
    assert_fits_width(page)
    page.get_by_role("button", name=later).click()
    expect(page).to_have_url(re.compile(r"/wallet$"))
    expect(page.get_by_role("heading", name=prompt)).to_have_count(0)

    page.goto(base + "/account")
    assert_fits_width(page)
    with page.expect_download() as started:
        page.get_by_role("button", name=download).click()
    path = started.value.path()
    names = zipfile.ZipFile(path).namelist()
    assert "README.txt" in names
    assert "badges/001 データサイエンス 基礎.png" in names
