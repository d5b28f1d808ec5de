"""A student on a phone shows a badge to the world, and hides it again.

The wallet, a badge's page with its share panel, the signature page and the CV kit fit
360 px in Japanese and English; the script-only buttons appear only where they work;
and the LinkedIn link obeys visibility for a stranger in a fresh browser, while the
redirect to linkedin.com is caught before it leaves loopback.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser.conftest import LiveServer, assert_fits_width, stand_in_share_images
from tests.factories import (
    PASSWORD,
    AwardFactory,
    BadgeClassFactory,
    IssuerFactory,
    UserFactory,
)
from wallet import extensions as ext
from wallet.models import Award, AwardState

pytestmark = pytest.mark.browser

LONG_JA = (
    "令和八年度 数理・データサイエンス・AI 教育プログラム（応用基礎レベル）修了認定オープンバッジ"
)
LONG_EN = "Mathematics, Data Science and AI Education Programme (Applied Foundations) Completion"
TEXT = {
    "ja": {
        "share": "共有",
        "make_private": "非公開にする",
        "make_public": "公開にする",
        "accept": "受け取る",
        "linkedin": "LinkedIn のプロフィールに追加",
        "signature": "メール署名",
        "cv": "履歴書用 QR コード",
    },
    "en": {
        "share": "Share",
        "make_private": "Make it private",
        "make_public": "Make it public",
        "accept": "Accept",
        "linkedin": "Add to LinkedIn profile",
        "signature": "E-mail signature",
        "cv": "QR code for your CV",
    },
}


@dataclass
class Student:
    email: str
    public_id: int  # an issued public badge that expires
    private_id: int
    pending_id: int
    offered_name: str


def _seed(live: LiveServer, lang: str) -> Student:
    now = datetime.now(UTC)
    with live.app.app_context():
        issuer = IssuerFactory(
            name="国立大学法人静岡大学 全学教育基盤機構 数理・データサイエンス教育センター",
            name_en="Centre for Mathematical and Data Science Education, Shizuoka University",
            linkedin_organization_id="1234567",
        )
        student = UserFactory(
            email=f"hanako.{secrets.token_hex(4)}.{lang}@inf.shizuoka.ac.jp",
            name="静岡 花子（しずおか はなこ）",
            locale=lang,
        )

        def badge(**extra: object) -> object:
            return BadgeClassFactory(issuer=issuer, name=LONG_JA, name_en=LONG_EN, **extra)

        mine = {"user": student, "recipient_email": student.email, "accepted_at": now}
        public = AwardFactory(
            badge_class=badge(),
            issued=True,
            is_public=True,
            expires_at=now + timedelta(days=730),
            **mine,
        )
        private = AwardFactory(badge_class=badge(), issued=True, is_public=False, **mine)
        pending = AwardFactory(
            badge_class=badge(anchored=True), state=AwardState.PENDING, is_public=True, **mine
        )
        offered = AwardFactory(
            badge_class=BadgeClassFactory(
                issuer=issuer, name="受け取り待ち " + lang, name_en="Waiting " + lang
            ),
            recipient_email=student.email,
        )
        ext.db.session.commit()
        seeded = Student(
            email=student.email,
            public_id=public.id,
            private_id=private.id,
            pending_id=pending.id,
            offered_name=offered.badge_class.name,
        )
        ext.db.session.remove()
    return seeded


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/wallet$"))


# Where /b/<id>/linkedin sent each browser (its Location), and anything that tried to
# leave loopback (refused). Cleared for each test.
REDIRECTS: list[str] = []
LEFT_LOOPBACK: list[str] = []


def _catch_redirect(route: Route) -> None:
    """Ask the wallet as the browser would (its cookies), but do not follow a redirect
    off the machine: keep where it points and show a stand-in page instead."""
    response = route.fetch(max_redirects=0)
    if 300 <= response.status < 400:
        REDIRECTS.append(response.headers["location"])
        route.fulfill(
            status=200,
            content_type="text/html",
            body='<!doctype html><html lang="en"><title>stand-in</title><p>redirected</p></html>',
        )
    else:
        route.fulfill(response=response)


def _outside(route: Route) -> None:
    LEFT_LOOPBACK.append(route.request.url)
    route.abort()


@pytest.fixture
def context_for(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., Page]]:
    """Fresh phone-sized browser contexts (no shared cookies) that never leave loopback."""
    contexts: list[BrowserContext] = []
    REDIRECTS.clear()
    LEFT_LOOPBACK.clear()

    def open_page(locale: str = "ja-JP", **options: object) -> Page:
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, locale=locale, **options
        )
        contexts.append(context)
        stand_in_share_images(context, live_server.app)
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), _outside)
        context.route(re.compile(r"/b/[^/]+/linkedin$"), _catch_redirect)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not LEFT_LOOPBACK, f"requests that would have left loopback: {LEFT_LOOPBACK}"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_wallet_badge_page_signature_and_cv_kit_fit_a_phone(
    live_server: LiveServer, context_for: Callable[..., Page], lang: str
) -> None:
    student = _seed(live_server, lang)
    t = TEXT[lang]
    page = context_for("ja-JP" if lang == "ja" else "en-US")
    base = live_server.url
    _log_in(page, base, student.email)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    for section in ("received", "pending", "offered"):
        expect(page.locator(f"section#{section}")).to_be_attached()
    # public pre-selected on the Accept button of the badge waiting there
    expect(page.locator("section#offered .badge-card input[value=public]")).to_be_checked()
    assert_fits_width(page)

    page.goto(f"{base}/wallet/badges/{student.public_id}")
    panel = page.locator("section#share")
    expect(panel.get_by_role("heading", name=t["share"])).to_be_visible()
    expect(panel.locator("#share-url")).to_have_value(re.compile(r"/b/[A-Za-z0-9_-]+$"))
    expect(panel.get_by_role("link", name=t["linkedin"])).to_be_visible()
    expect(panel.locator(".js-copy")).to_be_visible()  # clipboard: this is a secure context
    assert_fits_width(page)

    page.goto(f"{base}/wallet/badges/{student.private_id}")
    expect(
        page.locator("section#share").get_by_role("button", name=t["make_public"])
    ).to_be_visible()
    assert_fits_width(page)
    page.goto(f"{base}/wallet/badges/{student.pending_id}")
    expect(page.locator("section#share #share-url")).to_be_visible()
    assert_fits_width(page)

    page.goto(f"{base}/wallet/badges/{student.public_id}/signature")
    expect(page.get_by_role("heading", name=t["signature"])).to_be_visible()
    frame = page.frame_locator("iframe.signature-preview")
    expect(frame.locator("table a").first).to_have_attribute("href", re.compile(r"/b/"))
    expect(frame.locator("img")).to_have_js_property("complete", True)
    assert_fits_width(page)

    page.goto(f"{base}/wallet/badges/{student.public_id}/cv")
    expect(page.get_by_role("heading", name=t["cv"])).to_be_visible()
    qr = page.locator(".cv-qr img.qr")
    expect(qr).to_have_attribute("src", re.compile(r"/b/[A-Za-z0-9_-]+/qr\.svg$"))
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert_fits_width(page)
    # printed on A4, the QR code is 3 cm wide
    page.emulate_media(media="print")
    width_px = qr.evaluate("img => img.getBoundingClientRect().width")
    assert abs(width_px - 3 / 2.54 * 96) < 1.5, width_px
    expect(page.locator(".site-header")).to_be_hidden()


def test_without_script_the_boxes_stay_and_the_buttons_stay_hidden(
    live_server: LiveServer, context_for: Callable[..., Page]
) -> None:
    student = _seed(live_server, "en")
    page = context_for("en-US", java_script_enabled=False)
    _log_in(page, live_server.url, student.email)
    page.goto(f"{live_server.url}/wallet/badges/{student.public_id}")
    expect(page.locator("#share-url")).to_be_visible()
    expect(page.locator(".js-copy")).to_be_hidden()
    expect(page.locator(".js-share")).to_be_hidden()
    page.goto(f"{live_server.url}/wallet/badges/{student.public_id}/signature")
    expect(page.locator("#signature-html")).to_be_visible()
    expect(page.locator("#signature-text")).to_be_visible()
    expect(page.locator(".js-copy").first).to_be_hidden()
    assert_fits_width(page)


def test_the_share_sheet_and_copy_buttons_where_the_browser_has_them(
    live_server: LiveServer, context_for: Callable[..., Page]
) -> None:
    student = _seed(live_server, "en")
    page = context_for("en-US", permissions=["clipboard-read", "clipboard-write"])
    page.context.add_init_script("navigator.share = async (data) => { window.sharedWith = data; };")
    _log_in(page, live_server.url, student.email)
    page.goto(f"{live_server.url}/wallet/badges/{student.public_id}")
    share_url = page.locator("#share-url").input_value()
    expect(page.locator(".js-share")).to_be_visible()
    page.locator(".js-share").click()
    shared = page.evaluate("window.sharedWith")
    assert shared["url"] == share_url
    assert shared["title"] == LONG_EN
    page.locator(".js-copy").click()
    expect(page.locator(".js-copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == share_url


def test_every_public_surface_follows_visibility_for_a_stranger(
    live_server: LiveServer, context_for: Callable[..., Page]
) -> None:
    """Accept as public, a stranger sees the share page's verdict and every image; made
    private, the page, its images, the LinkedIn link and the profile entry are 404 for
    the stranger (exactly like an unknown id) and still there for the owner."""
    with live_server.app.app_context():
        student = UserFactory(email="jiro.linkedin@shizuoka.ac.jp", name="浜松 次郎")
        student.profile_id = "jiroProfile01"
        student.is_profile_public = True
        offer = AwardFactory(
            badge_class=BadgeClassFactory(
                issuer=IssuerFactory(linkedin_organization_id=""), name=LONG_JA
            ),
            recipient_email=student.email,
        )
        offer_id, email = offer.id, student.email
        ext.db.session.commit()
        ext.db.session.remove()
    base = live_server.url
    profile = f"{base}/u/jiroProfile01"
    owner = context_for("ja-JP")
    _log_in(owner, base, email)
    card = owner.locator(".badge-card", has_text=LONG_JA)
    expect(card.locator("input[value=public]")).to_be_checked()  # public pre-selected
    card.get_by_role("button", name="受け取る", exact=True).click()
    expect(owner).to_have_url(re.compile(rf"/wallet/badges/{offer_id}$"))
    share_url = owner.locator("#share-url").input_value()
    linkedin = share_url + "/linkedin"
    images = [share_url + "/og.png?lang=ja", share_url + "/qr.png", share_url + "/qr.svg"]
    with live_server.app.app_context():
        award = ext.db.session.get(Award, offer_id)
        assert award is not None
        assert award.is_public
        ext.db.session.remove()

    stranger = context_for("ja-JP")
    page = stranger.goto(share_url)
    assert page is not None
    assert page.status == 200
    expect(stranger.locator("h1#verdict-heading")).to_contain_text("有効なバッジ")
    og = stranger.locator('meta[property="og:image"]').get_attribute("content")
    assert og == images[0]
    for url in images:
        assert stranger.request.get(url).status == 200, url
    stranger.goto(profile)
    expect(stranger.locator("main")).to_contain_text(LONG_JA[:20])
    answer = stranger.goto(linkedin)
    assert answer is not None
    assert answer.status == 200  # the stand-in: the 302 was caught
    [target_url] = REDIRECTS
    target = urlsplit(target_url)
    assert (target.scheme, target.netloc, target.path) == (
        "https",
        "www.linkedin.com",
        "/profile/add",
    )
    query = parse_qs(target.query)
    assert query["certUrl"] == [share_url]
    assert query["certId"] == [share_url.rsplit("/", 1)[1]]
    assert query["organizationName"] == ["静岡大学"]
    assert query["issueMonth"][0] in {str(m) for m in range(1, 13)}

    owner.locator("section#visibility").get_by_role("button", name="非公開にする").click()
    expect(owner.locator("section#share").get_by_role("button", name="公開にする")).to_be_visible()
    unknown = stranger.goto(base + "/b/NoSuchId")
    assert unknown is not None
    assert unknown.status == 404
    not_found = stranger.locator("main").inner_text()
    for url in (share_url, linkedin):
        answer = stranger.goto(url)
        assert answer is not None
        assert answer.status == 404, url
        assert stranger.locator("main").inner_text() == not_found, url
        assert_fits_width(stranger)
    for url in images:
        assert stranger.request.get(url).status == 404, url
    stranger.goto(profile)
    expect(stranger.locator("main")).not_to_contain_text(LONG_JA[:20])

    # the owner still gets everything
    assert owner.goto(share_url).status == 200  # type: ignore[union-attr]
    expect(owner.locator("h1#verdict-heading")).to_contain_text("有効なバッジ")
    for url in images:
        assert owner.request.get(url).status == 200, url
    owner.goto(linkedin)
    assert len(REDIRECTS) == 2
    assert urlsplit(REDIRECTS[-1]).netloc == "www.linkedin.com"


def test_no_share_button_where_the_browser_cannot_share(
    live_server: LiveServer, context_for: Callable[..., Page]
) -> None:
    student = _seed(live_server, "ja")
    page = context_for("ja-JP")
    page.context.add_init_script("delete Navigator.prototype.share;")
    _log_in(page, live_server.url, student.email)
    page.goto(f"{live_server.url}/wallet/badges/{student.public_id}")
    assert page.evaluate("typeof navigator.share") == "undefined"
    expect(page.locator(".js-share")).to_be_hidden()
    expect(page.locator("section#share").get_by_role("link", name="X に投稿")).to_be_visible()
