"""The share page on a phone, as a stranger opens it from a QR code or a link.

The verdict, its checks and "checked at" fit the first screen (360 x 740); nothing
scrolls sideways in Japanese or English; the first view weighs under 40 KB; a
badge made private is gone for the stranger and still there for its owner.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.browser.conftest import LiveServer, assert_fits_width
from tests.factories import (
    PASSWORD,
    AwardFactory,
    BadgeClassFactory,
    BlobFactory,
    IssuerFactory,
    UserFactory,
)
from wallet import extensions as ext
from wallet.models import Award, AwardState
from wallet.services.demo import draw_badge

pytestmark = pytest.mark.browser

FIRST_SCREEN = 740
WEIGHT_LIMIT = 40 * 1024
BROWSER_LOCALE = {"ja": "ja-JP", "en": "en-US"}


@dataclass
class Shared:
    owner_email: str
    share_id: str
    pending_share_id: str
    revoked_share_id: str
    profile_id: str


@pytest.fixture(scope="module")
def shared(live_server: LiveServer) -> Shared:
    """A student with a public badge drawn like the demo's, as long texts as real ones."""
    with live_server.app.app_context():
        session = ext.db.session()
        now = datetime.now(UTC)
        image = BlobFactory(data=draw_badge("データ", "サイエンス", "#0b57a4", "#e0a100"))
        issuer = IssuerFactory(
            name="国立大学法人静岡大学 全学教育基盤機構",
            name_en="Shizuoka University, Institute for Liberal Arts and Sciences",
        )
        badge = BadgeClassFactory(
            issuer=issuer,
            image_sha256=image.sha256,
            name="データサイエンス・人工知能教育プログラム（応用基礎レベル）修了",
            name_en="Data Science and AI Education Programme (Applied Foundations) Completed",
            description="データの収集・加工・分析・可視化の基礎的な能力を身につけたことを証明します。"
            * 3,
            criteria_text="プログラム指定の全科目（8 単位）の単位を修得すること。",
            criteria_url="https://www.shizuoka.ac.jp/education/data-science/criteria/2026",
        )
        student = UserFactory(name="静岡 花子（しずおか はなこ）")
        student.profile_id = "hanakoProfile1"
        student.is_profile_public = True

        def accepted(**values: object) -> str:
            award = AwardFactory(
                user=student,
                recipient_email=student.email,
                recipient_name=student.name,
                is_public=True,
                accepted_at=now - timedelta(hours=1),
                **values,
            )
            return str(award.share_id)

        result = Shared(
            owner_email=student.email,
            share_id=accepted(
                badge_class=badge, state=AwardState.ISSUED, expires_at=now + timedelta(days=365)
            ),
            pending_share_id=accepted(
                badge_class=BadgeClassFactory(
                    issuer=issuer, anchored=True, image_sha256=image.sha256
                ),
                state=AwardState.PENDING,
            ),
            revoked_share_id=accepted(
                badge_class=BadgeClassFactory(issuer=issuer, image_sha256=image.sha256),
                state=AwardState.ISSUED,
                revoked_at=now,
                revocation_reason="授与対象者の確認に誤りがあったため取り消しました。" * 2,
            ),
            profile_id=student.profile_id,
        )
        session.commit()
        ext.db.session.remove()
    return result


def _verdict_fits_the_first_screen(page: Page) -> None:
    for part in ("#verdict-heading", ".verdict .checks", ".checked-at"):
        box = page.locator(part).bounding_box()
        assert box is not None, part
        assert box["y"] + box["height"] <= FIRST_SCREEN, f"{part} ends at {box}"


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("which", ["share_id", "pending_share_id", "revoked_share_id"])
def test_a_stranger_sees_the_verdict_on_the_first_screen(
    live_server: LiveServer,
    shared: Shared,
    phone_page: Callable[[str], Page],
    lang: str,
    which: str,
) -> None:
    page = phone_page(BROWSER_LOCALE[lang])
    response = page.goto(f"{live_server.url}/b/{getattr(shared, which)}")
    assert response is not None
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", lang)
    heading = {
        ("share_id", "ja"): "有効なバッジです",
        ("share_id", "en"): "Valid badge",
        ("pending_share_id", "ja"): "発行手続き中",
        ("pending_share_id", "en"): "Pending: completes on",
        ("revoked_share_id", "ja"): "発行者により取り消されました",
        ("revoked_share_id", "en"): "Revoked by the issuer",
    }[(which, lang)]
    expect(page.locator("#verdict-heading")).to_contain_text(heading)
    _verdict_fits_the_first_screen(page)
    assert_fits_width(page)
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length"
    )
    assert broken == 0


def test_the_language_link_switches_the_page_without_a_cookie(
    live_server: LiveServer, shared: Shared, phone_page: Callable[[str], Page]
) -> None:
    page = phone_page("ja-JP")
    page.goto(f"{live_server.url}/b/{shared.share_id}")
    page.locator("a.lang-switch").click()
    expect(page).to_have_url(re.compile(r"\?lang=en$"))
    expect(page.locator("#verdict-heading")).to_contain_text("Valid badge")
    assert page.context.cookies() == []
    assert_fits_width(page)


def test_the_first_view_weighs_under_40_kb(
    live_server: LiveServer, shared: Shared, phone_page: Callable[[str], Page]
) -> None:
    page = phone_page("ja-JP")
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(f"{live_server.url}/b/{shared.share_id}", wait_until="networkidle")
    sizes = {r.url: r.sizes() for r in finished}
    total = sum(s["responseHeadersSize"] + s["responseBodySize"] for s in sizes.values())
    kinds = {r.resource_type for r in finished}
    assert {"document", "stylesheet", "image"} <= kinds
    assert not kinds & {"font", "script"}
    assert total < WEIGHT_LIMIT, f"{total} bytes: {sizes}"


def test_the_page_works_without_javascript(
    live_server: LiveServer, shared: Shared, browser: Browser
) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="ja-JP", java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/b/{shared.share_id}")
        expect(page.locator("#verdict-heading")).to_contain_text("有効なバッジです")
        page.locator("a.lang-switch").click()
        expect(page.locator("#verdict-heading")).to_contain_text("Valid badge")
    finally:
        context.close()


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_a_badge_made_private_is_gone_for_the_stranger_not_for_its_owner(
    live_server: LiveServer, shared: Shared, phone_page: Callable[[str], Page]
) -> None:
    base = live_server.url
    stranger = phone_page("ja-JP")
    owner = phone_page("ja-JP")
    _log_in(owner, base, shared.owner_email)
    profile = f"{base}/u/{shared.profile_id}"
    stranger.goto(profile)
    expect(stranger.locator(f'a[href="/b/{shared.revoked_share_id}"]')).to_have_count(0)
    expect(stranger.locator(f'a[href="/b/{shared.pending_share_id}"]')).to_have_count(1)

    with live_server.app.app_context():
        award = ext.db.session.query(Award).filter_by(share_id=shared.pending_share_id).one()
        award.is_public = False
        ext.db.session.commit()
        ext.db.session.remove()
    try:
        response = stranger.goto(f"{base}/b/{shared.pending_share_id}")
        assert response is not None
        assert response.status == 404
        stranger.goto(profile)
        expect(stranger.locator(f'a[href="/b/{shared.pending_share_id}"]')).to_have_count(0)
        response = owner.goto(f"{base}/b/{shared.pending_share_id}")
        assert response is not None
        assert response.status == 200
        expect(owner.locator(".owner-note")).to_contain_text("あなたにしか見えません")
        _verdict_fits_the_first_screen(owner)
        assert_fits_width(owner)
    finally:
        with live_server.app.app_context():
            award = ext.db.session.query(Award).filter_by(share_id=shared.pending_share_id).one()
            award.is_public = True
            ext.db.session.commit()
            ext.db.session.remove()
