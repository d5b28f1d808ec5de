"""Strangers' answers kept a moment by each process (wallet/http_cache.py), through the app.

The other tests turn it off (``public_cache_seconds=0``) because they change a badge
and look again at once; here it is on, as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import fresh_app
from tests.factories import PASSWORD, AwardFactory, UserFactory
from tests.helpers import post_form
from wallet import extensions as ext
from wallet.db import utcnow
from wallet.models import Award

JA = {"Accept-Language": "ja"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_app(tmp_path, public_cache_seconds=30, ratelimit_enabled=False) as app:
        yield app


@pytest.fixture
def award_ids(app: Flask) -> tuple[int, str, str, str]:
    with app.app_context():
        owner = UserFactory()
        award = AwardFactory(
            user=owner,
            recipient_email=owner.email,
            issued=True,
            is_public=True,
            accepted_at=utcnow(),
        )
        ext.db.session.commit()
        return award.id, award.share_id, award.public_id, owner.email


def _revoke(app: Flask, award_id: int) -> None:
    with app.app_context():
        award = ext.db.session.get(Award, award_id)
        assert award is not None
        award.revoked_at = utcnow()
        award.revocation_reason = "誤って授与しました"
        award.is_public = False
        ext.db.session.commit()


def test_a_stranger_may_get_a_moment_old_page_told_by_its_age(
    app: Flask, award_ids: tuple[int, str, str, str]
) -> None:
    award_id, share_id, public_id, _ = award_ids
    stranger = app.test_client()
    first = stranger.get(f"/b/{share_id}", headers=JA)
    document = stranger.get(f"/ob/assertions/{public_id}")
    assert "Age" not in first.headers
    _revoke(app, award_id)

    again = stranger.get(f"/b/{share_id}", headers=JA)
    assert again.status_code == 200
    assert again.headers["Age"] == "0"
    assert again.data == first.data
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "ETag", "Vary"):
        assert again.headers[header] == first.headers[header], header
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert stranger.get(f"/ob/assertions/{public_id}").data == document.data

    # anyone with a cookie reaches the app and sees the change at once
    with_cookie = app.test_client()
    with_cookie.set_cookie("wallet_lang", "ja")
    assert with_cookie.get(f"/b/{share_id}").status_code == 404
    assert with_cookie.get(f"/ob/assertions/{public_id}").status_code == 410


def test_the_owner_and_logged_in_visitors_always_get_the_app(
    app: Flask, award_ids: tuple[int, str, str, str]
) -> None:
    _, share_id, _, owner_email = award_ids
    app.test_client().get(f"/b/{share_id}", headers=JA)  # kept for strangers
    client = app.test_client()
    login = post_form(client, "/login", {"email": owner_email, "password": PASSWORD})
    assert login.status_code == 302
    page = client.get(f"/b/{share_id}", headers=JA)
    assert "Age" not in page.headers
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "あなたのバッジの公開ページです" in page.text


def test_a_revalidating_stranger_is_answered_304_without_the_app(
    app: Flask, award_ids: tuple[int, str, str, str]
) -> None:
    _, share_id, _, _ = award_ids
    stranger = app.test_client()
    etag = stranger.get(f"/b/{share_id}", headers=JA).headers["ETag"]
    again = stranger.get(f"/b/{share_id}", headers={**JA, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["Age"] == "0"
    assert again.headers["ETag"] == etag


def test_a_public_page_read_in_autocommit_leaves_the_next_request_transactional(
    app: Flask, award_ids: tuple[int, str, str, str]
) -> None:
    _, share_id, public_id, _ = award_ids
    with_cookie = app.test_client()
    with_cookie.set_cookie("wallet_lang", "ja")  # past the process cache, into the app
    assert with_cookie.get(f"/b/{share_id}").status_code == 200
    assert with_cookie.get(f"/ob/assertions/{public_id}").status_code == 200
    with app.app_context():
        engine = ext.db.engine
        for _ in range(engine.pool.size()):  # every pooled connection is back to normal
            with engine.connect() as connection:
                dbapi_connection = connection.connection.dbapi_connection
                assert getattr(dbapi_connection, "autocommit", False) is False
                assert connection.get_isolation_level() != "AUTOCOMMIT"
