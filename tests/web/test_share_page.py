"""The share page ``/b/<share_id>``: verdict first, visibility, Open Graph meta, caching."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import time_machine
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from tests.accounts_support import without_csrf
from tests.conftest import BASE_URL
from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from tests.helpers import post_form
from tests.web.admin_helpers import log_in
from wallet.db import utcnow
from wallet.models import Award, AwardState, User

JA = {"Accept-Language": "ja"}
EN = {"Accept-Language": "en"}


def shared(owner: User | None = None, **values: Any) -> Award:
    """An accepted, public badge (hosted unless ``badge_class`` says otherwise)."""
    owner = owner or UserFactory()
    values.setdefault("issued", True)
    values.setdefault("is_public", True)
    values.setdefault("accepted_at", utcnow())
    return AwardFactory(user=owner, recipient_email=owner.email, **values)


def meta(page: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', page)
    assert match, f"no {key} meta"
    return unescape(match.group(1))


def verdict_block(page: str) -> str:
    return page.split('<section class="verdict', 1)[1].split("</section>", 1)[0]


@contextmanager
def rendered(app: Flask) -> Iterator[list[str]]:
    names: list[str] = []

    def record(_sender: Flask, template: Any, context: Any, **extra: Any) -> None:
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


# -- verdicts -------------------------------------------------------------------------


def test_a_valid_badge_shows_its_verdict_checks_and_when_it_was_checked(
    client: FlaskClient,
) -> None:
    award = shared(recipient_name="静岡 花子", issued_on=datetime(2026, 4, 1, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 6, 1, 1, 2, 3, tzinfo=UTC), tick=False):
        response = client.get(f"/b/{award.share_id}", headers=JA)
    assert response.status_code == 200
    block = verdict_block(response.text)
    assert "有効なバッジです" in block
    for check in (
        "発行者のプロフィールを確認済み",
        "発行者が公開する記録と一致",
        "受領者が一致（アドレスはハッシュ化）",
        "発行者による取り消しなし",
        "有効期限はありません",
        "バッジ画像を確認済み",
    ):
        assert check in block, check
    assert block.count('class="check check-pass"') == 6
    assert "確認日時：2026/06/01 10:02:03" in block  # Asia/Tokyo
    assert "日本標準時" in block
    assert "静岡 花子" in block
    assert award.badge_class.name in block
    assert "静岡大学" in block


def test_the_facts_follow_the_verdict(client: FlaskClient) -> None:
    award = shared(
        badge_class__criteria_url="https://www.shizuoka.ac.jp/criteria",
        expires_at=utcnow() + timedelta(days=30),
    )
    page = client.get(f"/b/{award.share_id}", headers=JA).text
    facts = page.split('class="card badge-facts"', 1)[1]
    assert page.index('class="verdict') < page.index('class="card badge-facts"')
    for text in (
        award.recipient_name,
        award.badge_class.name,
        award.badge_class.description,
        award.badge_class.criteria_text,
        "https://www.shizuoka.ac.jp/criteria",
        f"/ob/images/{award.badge_class.image_sha256}",
        "有効期限",
    ):
        assert text in facts, text
    # anyone checks it, or another badge, on the verify page
    assert '<a href="/verify">ほかのバッジを確認する</a>' in facts


def test_a_revoked_badge_says_so_with_the_issuers_reason(client: FlaskClient) -> None:
    award = shared(revoked_at=utcnow(), revocation_reason="授与対象者の確認に誤りがありました")
    response = client.get(f"/b/{award.share_id}", headers=JA)
    assert response.status_code == 200
    block = verdict_block(response.text)
    assert "発行者により取り消されました" in block
    assert "発行者による理由： 授与対象者の確認に誤りがありました" in block
    assert "check check-fail" in block
    english = verdict_block(client.get(f"/b/{award.share_id}?lang=en").text)
    assert "Revoked by the issuer" in english
    assert "授与対象者の確認に誤りがありました" in english


def test_an_expired_badge_says_when_it_expired(client: FlaskClient) -> None:
    award = shared(
        issued_on=datetime(2024, 4, 1, tzinfo=UTC),
        expires_at=datetime(2025, 3, 31, 15, 0, tzinfo=UTC),
    )
    block = verdict_block(client.get(f"/b/{award.share_id}", headers=JA).text)
    assert "有効期限が切れたバッジです" in block
    assert "2025年4月1日 に有効期限が切れました" in block  # midnight in Tokyo
    english = verdict_block(client.get(f"/b/{award.share_id}", headers=EN).text)
    assert "Expired badge" in english
    assert "Expired on April 1, 2025" in english


def test_a_pending_badge_says_when_the_anchoring_run_completes_it(client: FlaskClient) -> None:
    accepted = datetime(2026, 4, 1, 5, 0, tzinfo=UTC)  # 14:00 in Tokyo
    award = shared(
        badge_class=BadgeClassFactory(anchored=True),
        issued=False,
        state=AwardState.PENDING,
        issued_on=accepted - timedelta(days=7),
        accepted_at=accepted,
    )
    with time_machine.travel(accepted + timedelta(hours=1), tick=False):
        ja = verdict_block(client.get(f"/b/{award.share_id}", headers=JA).text)
        en = verdict_block(client.get(f"/b/{award.share_id}", headers=EN).text)
    assert "発行手続き中：2026年4月2日 に完了します" in ja
    assert "毎日 03:00（日本標準時）の記録処理で発行が完了します。" in ja
    assert "毎日の記録処理を待っています" in ja
    assert "check check-wait" in ja
    assert "Pending: completes on April 2, 2026" in en
    assert "daily anchoring run at 03:00 (Japan Standard Time)" in en


def test_a_badge_whose_record_does_not_verify_is_not_called_valid(
    client: FlaskClient,
) -> None:
    award = shared(badge_class__image_sha256=BadgeClassFactory().image_sha256)
    award.badge_class.issuer.email = ""  # the issuer profile no longer parses
    block = verdict_block(client.get(f"/b/{award.share_id}", headers=EN).text)
    assert "Could not be verified" in block
    assert "Valid badge" not in block
    assert "The issuer's profile could not be confirmed" in unescape(block)


def test_english_readers_get_the_english_texts(client: FlaskClient) -> None:
    award = shared()
    badge = award.badge_class
    page = client.get(f"/b/{award.share_id}", headers=EN).text
    assert '<html lang="en">' in page
    assert "Valid badge" in page
    assert badge.name_en in page
    assert badge.description_en in page
    assert "Shizuoka University" in page
    forced = client.get(f"/b/{award.share_id}?lang=ja", headers=EN).text
    assert '<html lang="ja">' in forced
    assert badge.name in forced


# -- who sees what ----------------------------------------------------------------------


def test_strangers_get_the_same_404_for_a_private_badge_and_an_unknown_id(
    client: FlaskClient,
) -> None:
    private = shared(is_public=False)
    never_accepted = AwardFactory(is_public=True)
    unknown = client.get("/b/nope1234")
    assert unknown.status_code == 404
    for share_id in (private.share_id, never_accepted.share_id):
        response = client.get(f"/b/{share_id}")
        assert response.status_code == 404
        # the same page but for the address typed (the language switch returns there)
        # (the CSRF token aside, which carries the second it was made)
        assert without_csrf(response.text).replace(share_id, "nope1234") == without_csrf(
            unknown.text
        )
        assert response.headers["Cache-Control"] == unknown.headers["Cache-Control"]
    log_in(client, UserFactory())
    assert client.get(f"/b/{private.share_id}").status_code == 404


def test_the_owner_sees_their_private_badge_with_a_note(client: FlaskClient) -> None:
    owner = UserFactory()
    award = shared(owner, is_public=False)
    log_in(client, owner)
    response = client.get(f"/b/{award.share_id}")
    assert response.status_code == 200
    assert "非公開のバッジです。このページはあなたにしか見えません。" in response.text
    assert "有効なバッジです" in response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers


# -- Open Graph and Twitter cards -----------------------------------------------------------


def test_open_graph_and_twitter_meta_carry_absolute_urls(client: FlaskClient) -> None:
    award = shared()
    share_url = f"{BASE_URL}/b/{award.share_id}"
    page = client.get(f"/b/{award.share_id}", headers=JA).text
    head = page.split("</head>", 1)[0]
    assert meta(head, "og:url") == share_url
    assert meta(head, "og:image") == f"{share_url}/og.png?lang=ja"
    assert meta(head, "og:image:width") == "1200"
    assert meta(head, "og:image:height") == "630"
    assert meta(head, "og:locale") == "ja_JP"
    assert meta(head, "og:type") == "website"
    assert meta(head, "twitter:card") == "summary_large_image"
    assert award.badge_class.name in meta(head, "og:title")
    assert "静岡大学" in meta(head, "og:title")
    assert award.recipient_name in meta(head, "og:description")
    english = client.get(f"/b/{award.share_id}", headers=EN).text
    assert meta(english, "og:image") == f"{share_url}/og.png?lang=en"
    assert meta(english, "og:locale") == "en_US"
    assert award.badge_class.name_en in meta(english, "og:title")


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>\u202eevil"\'&'


def test_hostile_badge_texts_show_as_text_in_the_page_and_its_meta(client: FlaskClient) -> None:
    award = shared(
        recipient_name=HOSTILE,
        revoked_at=utcnow(),
        revocation_reason=HOSTILE,
        badge_class__name=HOSTILE,
        badge_class__name_en=HOSTILE,
        badge_class__description=HOSTILE,
        badge_class__criteria_text=HOSTILE,
        badge_class__issuer__name=HOSTILE,
    )
    for headers in (JA, EN):
        page = client.get(f"/b/{award.share_id}", headers=headers).text
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        assert "\u202eevil&#34;&#39;&amp;" in page  # the mark stays, as text
        assert HOSTILE in meta(page, "og:title")
        assert HOSTILE in meta(page, "og:description")


# -- caching ------------------------------------------------------------------------------


def test_a_strangers_view_is_publicly_cacheable_and_sets_no_cookie(client: FlaskClient) -> None:
    award = shared()
    response = client.get(f"/b/{award.share_id}")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert response.headers["ETag"].startswith('W/"')
    assert "Set-Cookie" not in response.headers
    assert "csrf_token" not in response.text
    # the security headers stay
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_logged_in_view_is_never_stored(client: FlaskClient) -> None:
    award = shared()
    log_in(client, UserFactory())
    response = client.get(f"/b/{award.share_id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers
    assert "Cookie" in response.vary


def test_a_conditional_get_is_answered_304_without_drawing_the_page(
    app: Flask, client: FlaskClient
) -> None:
    award = shared()
    first = client.get(f"/b/{award.share_id}", headers=JA)
    etag = first.headers["ETag"]
    with rendered(app) as templates:
        again = client.get(f"/b/{award.share_id}", headers={**JA, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert templates == []
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=60"
    with rendered(app) as templates:
        other_language = client.get(f"/b/{award.share_id}", headers={**EN, "If-None-Match": etag})
    assert other_language.status_code == 200
    assert templates == ["share/show.html"]


def test_the_etag_changes_when_what_the_page_shows_changes(client: FlaskClient) -> None:
    award = shared()
    url = f"/b/{award.share_id}"
    etag = client.get(url, headers=JA).headers["ETag"]
    assert client.get(url, headers=JA).headers["ETag"] == etag  # stable
    award.badge_class.description = "説明を改めました。"
    assert client.get(url, headers={**JA, "If-None-Match": etag}).status_code == 200
    etag = client.get(url, headers=JA).headers["ETag"]
    award.revoked_at = utcnow()
    award.revocation_reason = "誤って授与しました"
    revoked = client.get(url, headers={**JA, "If-None-Match": etag})
    assert revoked.status_code == 200
    assert "誤って授与しました" in revoked.text


def test_a_badge_made_private_is_gone_for_strangers_at_once(client: FlaskClient) -> None:
    award = shared()
    etag = client.get(f"/b/{award.share_id}").headers["ETag"]
    award.is_public = False
    response = client.get(f"/b/{award.share_id}", headers={"If-None-Match": etag})
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_a_message_flashed_to_one_stranger_never_lands_in_the_shared_page(
    client: FlaskClient,
) -> None:
    award = shared()
    post_form(client, "/activate/resend", {"email": "someone@example.ac.jp"})
    page = client.get(f"/b/{award.share_id}", headers=JA)
    assert page.headers["Cache-Control"] == "public, max-age=60"
    assert 'class="flash' not in page.text
    # it waits for the visitor's next page of their own
    assert 'class="flash' in client.get("/activate/resend", headers=JA).text
