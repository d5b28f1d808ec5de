"""Importing a badge from another issuer, from the wallet, and sharing it like our own."""

from __future__ import annotations

import io
from collections.abc import Iterator
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, UserFactory
from tests.helpers import csrf_token, post_form
from tests.importing_support import BADGE_NAME, ISSUER_NAME, ForeignIssuer
from tests.unit.openbadges.world import png_bytes
from tests.web.admin_helpers import log_in
from wallet.models import ImportedBadge, User

EN = {"Accept-Language": "en"}
JA = {"Accept-Language": "ja"}


@pytest.fixture
def issuer(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[ForeignIssuer]:
    with ForeignIssuer() as running:
        monkeypatch.setitem(app.extensions, "wallet.fetcher", running.fetcher())
        yield running


@pytest.fixture
def student(client: FlaskClient) -> User:
    user = UserFactory(email="hanako@shizuoka.ac.jp", name="静岡 花子", locale="en")
    log_in(client, user)
    return user


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ImportedBadge)) or 0


def _import_url(client: FlaskClient, url: str) -> tuple[int, str, str]:
    response = post_form(client, "/wallet/import/url", {"url": url}, page="/wallet/import")
    return response.status_code, unescape(response.get_data(as_text=True)), response.location


def _import_image(client: FlaskClient, image: bytes, name: str = "badge.png") -> tuple[int, str]:
    token = csrf_token(client, "/wallet/import")
    response = client.post(
        "/wallet/import/image",
        data={"image": (io.BytesIO(image), name), "csrf_token": token},
        content_type="multipart/form-data",
    )
    return response.status_code, unescape(response.get_data(as_text=True))


def _imported(session: Session) -> ImportedBadge:
    found = session.scalar(select(ImportedBadge))
    assert found is not None
    return found


def test_a_badge_imported_by_its_address_is_listed_with_its_issuer(
    client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    status, _, location = _import_url(client, issuer.hosted(student.email))
    imported = _imported(db_session)
    assert status == 302
    assert location.endswith(f"/wallet/imported/{imported.id}")
    page = unescape(client.get(location).get_data(as_text=True))
    assert BADGE_NAME in page
    assert f"{ISSUER_NAME} issued this badge, not this university" in page
    assert "It is private until you make it public" in page
    wallet = unescape(client.get("/wallet").get_data(as_text=True))
    card = wallet.split('id="imported"', 1)[1]
    assert BADGE_NAME in card
    assert ISSUER_NAME in card
    assert ">imported<" in card


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_baked_image_is_imported_from_the_wallet(
    client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer, kind: str
) -> None:
    url = issuer.hosted(student.email)
    image = issuer.baked_png(url) if kind == "png" else issuer.baked_svg(url)
    status, _ = _import_image(client, image, f"badge.{kind}")
    assert status == 302
    assert _imported(db_session).source == kind


def test_a_signed_badge_is_imported_from_its_image(
    client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    status, _ = _import_image(client, issuer.baked_png(issuer.signed(student.email)))
    assert status == 302
    assert _imported(db_session).signed_jws


def test_a_badge_for_another_address_names_it_and_keeps_what_was_typed(
    client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted("taro@example.org", hashed=False)
    status, page, _ = _import_url(client, url)
    assert status == 422
    assert "This badge was issued to taro@example.org" in page
    assert f'value="{url}"' in page
    assert _count(db_session) == 0


def test_a_hashed_badge_for_another_address_says_it_matches_none_of_yours(
    client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    status, page, _ = _import_url(client, issuer.hosted("taro@example.org"))
    assert status == 422
    assert "does not match any of your verified addresses" in page
    assert "taro@example.org" not in page
    assert _count(db_session) == 0


def test_refusals_are_in_japanese_for_a_japanese_student(
    client: FlaskClient, db_session: Session, issuer: ForeignIssuer
) -> None:
    user = UserFactory(locale="ja")
    log_in(client, user)
    status, page, _ = _import_url(client, issuer.hosted("taro@example.org", hashed=False))
    assert status == 422
    assert "このバッジの授与先は taro@example.org で" in page


def test_a_duplicate_is_refused_politely(
    client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted(student.email)
    assert _import_url(client, url)[0] == 302
    status, page, _ = _import_url(client, url)
    assert status == 409
    assert "This badge is already in your wallet (imported on" in page
    assert _count(db_session) == 1


def test_a_revoked_badge_is_refused_with_the_issuers_reason(
    client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted(student.email)
    issuer.revoke(url, "awarded in error")
    status, page, _ = _import_url(client, url)
    assert status == 422
    assert "The issuer has revoked this badge, so it cannot be imported. Its reason: " in page
    assert "awarded in error" in page


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "http://169.254.169.254/latest/meta-data/",
            "That address is inside a private or internal network; it is not fetched from here.",
        ),
        (
            "http://127.0.0.1/ob/assertions/1",
            "That address is inside a private or internal network; it is not fetched from here.",
        ),
        ("ftp://issuer.example/badge", "Enter an address starting with https://."),
    ],
)
def test_an_address_that_is_not_a_public_badge_is_refused(
    client: FlaskClient,
    db_session: Session,
    student: User,
    issuer: ForeignIssuer,
    url: str,
    reason: str,
) -> None:
    status, page, _ = _import_url(client, url)
    assert status in (400, 422)
    assert reason in page
    assert issuer.server.requests == []


def test_a_web_page_instead_of_a_badge_says_so(
    client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    from tests.loopback_http import answer

    issuer.server.routes["/page"] = answer(b"<html></html>", "text/html")
    status, page, _ = _import_url(client, issuer.url("/page"))
    assert status == 422
    assert "That is a web page, not a badge." in page


def test_our_own_badge_is_already_in_the_wallet(
    client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    award = AwardFactory(issued=True, user=student, recipient_email=student.email)
    status, page, _ = _import_url(client, f"http://wallet.test/b/{award.share_id}")
    assert status == 409
    assert "This badge is already in your wallet." in page


@pytest.mark.parametrize(
    ("image", "message"), [("plain", "carries no badge data"), ("gif", "not a PNG or SVG")]
)
def test_an_image_with_no_badge_is_refused(
    client: FlaskClient,
    db_session: Session,
    student: User,
    issuer: ForeignIssuer,
    image: str,
    message: str,
) -> None:
    data = png_bytes() if image == "plain" else b"GIF89a..."
    status, page = _import_image(client, data)
    assert status == 422
    assert message in page
    assert _count(db_session) == 0


def test_a_form_without_its_field_is_refused(
    client: FlaskClient, db_session: Session, student: User
) -> None:
    token = csrf_token(client, "/wallet/import")
    assert client.post("/wallet/import/url", data={"csrf_token": token}).status_code == 400
    response = client.post(
        "/wallet/import/image", data={"csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 400


# -- sharing -----------------------------------------------------------------------------


def _import_one(
    client: FlaskClient, db_session: Session, user: User, issuer: ForeignIssuer
) -> ImportedBadge:
    assert _import_url(client, issuer.hosted(user.email))[0] == 302
    return _imported(db_session)


def test_a_private_import_is_not_found_for_anyone_but_its_owner(
    app: Flask, client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    imported = _import_one(client, db_session, student, issuer)
    share = f"/b/{imported.share_id}"
    owner_view = client.get(share, headers=EN)
    assert owner_view.status_code == 200
    assert "A private badge: only you can see this page." in owner_view.get_data(as_text=True)
    stranger = app.test_client()
    for path in (share, f"{share}/qr.png", f"{share}/qr.svg", f"{share}/og.png"):
        assert stranger.get(path).status_code == 404
    other = app.test_client()
    log_in(other, UserFactory())
    assert other.get(share).status_code == 404
    assert other.get(f"/wallet/imported/{imported.id}").status_code == 404
    assert (
        post_form(other, f"/wallet/imported/{imported.id}/delete", {}, page="/wallet").status_code
        == 404
    )
    assert _count(db_session) == 1


def test_a_public_import_is_shared_naming_its_real_issuer(
    app: Flask, client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    imported = _import_one(client, db_session, student, issuer)
    back = f"/wallet/imported/{imported.id}"
    response = post_form(
        client, f"{back}/visibility", {"visibility": "public", "next": back}, page=back
    )
    assert response.status_code == 302
    stranger = app.test_client()
    page = unescape(stranger.get(f"/b/{imported.share_id}", headers=EN).get_data(as_text=True))
    assert "Valid badge" in page
    assert f"Issued to 静岡 花子 by {ISSUER_NAME}:" in page
    assert f"{ISSUER_NAME} issued this badge; this wallet did not." in page
    assert "Checked with the issuer at" in page
    # a reader can check it live, and check any other badge, on the verify page
    assert f'href="/verify?url={imported.assertion_id}"' in page
    assert 'href="/verify"' in page
    assert "Shizuoka University" not in page
    assert "静岡大学" not in page
    assert stranger.get(f"/b/{imported.share_id}/qr.svg").status_code == 200
    assert stranger.get(f"/b/{imported.share_id}/qr.png").status_code == 200
    preview = stranger.get(f"/b/{imported.share_id}/og.png?lang=en")
    assert preview.status_code == 200
    assert preview.mimetype == "image/png"
    assert f'content="http://wallet.test/b/{imported.share_id}/og.png?lang=en"' in page
    ja = stranger.get(f"/b/{imported.share_id}", headers=JA).get_data(as_text=True)
    assert f"{ISSUER_NAME} が 静岡 花子 さんに発行" in unescape(ja)


def test_a_public_import_is_on_the_public_profile(
    app: Flask, client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    from wallet.services.sharing import set_profile_public

    imported = _import_one(client, db_session, student, issuer)
    imported.is_public = True
    set_profile_public(db_session, student, True)
    page = unescape(
        app.test_client().get(f"/u/{student.profile_id}", headers=EN).get_data(as_text=True)
    )
    assert BADGE_NAME in page
    assert f'href="/b/{imported.share_id}"' in page
    assert "Issued by another issuer, imported by its holder" in page


def test_a_removed_import_is_gone_everywhere(
    app: Flask, client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    imported = _import_one(client, db_session, student, issuer)
    imported.is_public = True
    share_id, imported_id = imported.share_id, imported.id
    response = post_form(
        client, f"/wallet/imported/{imported_id}/delete", {}, page=f"/wallet/imported/{imported_id}"
    )
    assert response.status_code == 302
    assert _count(db_session) == 0
    assert app.test_client().get(f"/b/{share_id}").status_code == 404
    assert client.get(f"/wallet/imported/{imported_id}").status_code == 404


def test_a_badge_revoked_later_shows_revoked_with_the_reason(
    app: Flask, client: FlaskClient, db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    from datetime import UTC, datetime, timedelta

    from wallet import jobs

    imported = _import_one(client, db_session, student, issuer)
    imported.is_public = True
    issuer.revoke(imported.assertion_id, "the course was not completed")
    db_session.flush()
    checked = jobs.reverify_imported_badges(
        fetcher=issuer.fetcher(), clock=lambda: datetime.now(UTC) + timedelta(days=2)
    )
    assert checked == 1
    db_session.expire_all()
    page = unescape(
        app.test_client().get(f"/b/{imported.share_id}", headers=EN).get_data(as_text=True)
    )
    assert "Revoked by the issuer" in page
    assert "the course was not completed" in page
    wallet = unescape(client.get("/wallet").get_data(as_text=True))
    assert ">revoked<" in wallet.split('id="imported"', 1)[1]
