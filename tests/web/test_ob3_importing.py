"""Importing Open Badges 3.0 credentials from another issuer: by URL, baked PNG (JSON)
and SVG (VC-JWT); kept, checked again (a revoked bit shows), shared like any imported
badge; and refused with a reason when they are not the student's or do not verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import UserFactory
from tests.helpers import post_form
from tests.unit.openbadges.ob3 import world as w
from tests.unit.openbadges.world import png_bytes
from tests.web.admin_helpers import log_in
from tests.web.test_importing import _import_image, _import_url
from wallet.models import ImportedBadge, User
from wallet.openbadges.fetching import MemoryFetcher
from wallet.openbadges.ob3 import baking
from wallet.services import importing

CREDENTIAL_URL = f"{w.BASE}/credentials/5"
IMAGE_URL = f"{w.BASE}/ob/images/3f2a.png"
NAME = "データサイエンス基礎"


@pytest.fixture
def fetcher(app: Flask, monkeypatch: pytest.MonkeyPatch) -> MemoryFetcher:
    served = w.World().fetcher()
    served.documents[CREDENTIAL_URL] = w.signed()
    served.documents[IMAGE_URL] = png_bytes()
    monkeypatch.setitem(app.extensions, "wallet.fetcher", served)
    return served


@pytest.fixture
def student(client: FlaskClient) -> User:
    user = UserFactory(email=w.EMAIL.lower(), name="山田 花子", locale="en")
    log_in(client, user)
    return user


def _kept(db_session: Session) -> ImportedBadge:
    found = db_session.scalar(select(ImportedBadge))
    assert found is not None
    return found


@pytest.mark.usefixtures("fetcher")
def test_a_credential_imported_by_url_is_kept_and_shared_like_any_other(
    client: FlaskClient, db_session: Session, student: User
) -> None:
    status, _page, location = _import_url(client, CREDENTIAL_URL)
    assert status == 302, _page
    imported = _kept(db_session)
    assert imported.badge_name == NAME
    assert imported.issuer_name == "例示大学 教務課"
    assert imported.status == "valid"
    assert imported.image_sha256 is not None
    assert NAME in client.get(location).get_data(as_text=True)
    response = post_form(
        client,
        f"/wallet/imported/{imported.id}/visibility",
        {"visibility": "public"},
        page=location,
    )
    assert response.status_code == 302
    stranger = FlaskClient(client.application, client.response_wrapper, use_cookies=True)
    shared = stranger.get(f"/b/{imported.share_id}")
    assert shared.status_code == 200
    assert NAME in shared.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "bake"),
    [
        ("badge.png", lambda: baking.bake(png_bytes(), json.dumps(w.signed()))),
        (
            "badge.svg",
            lambda: baking.bake(
                b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>', w.jwt()
            ),
        ),
    ],
)
@pytest.mark.usefixtures("fetcher")
def test_baked_credentials_are_imported(
    client: FlaskClient, db_session: Session, student: User, name: str, bake: object
) -> None:
    status, page = _import_image(client, bake(), name)  # type: ignore[operator]
    assert status == 302, page
    assert _kept(db_session).badge_name == NAME


def test_a_revoked_bit_shows_at_the_next_check(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    student: User,
    fetcher: MemoryFetcher,
) -> None:
    status, page = _import_image(client, baking.bake(png_bytes(), w.jwt()), "badge.png")
    assert status == 302, page
    imported = _kept(db_session)
    fetcher.documents[w.LIST_URL] = w.World(revoked={5}).status_list()
    importing.reverify(
        db_session,
        imported,
        fetcher,
        base_url="http://wallet.test",
        now=datetime.now(UTC) + timedelta(days=2),
    )
    assert imported.status == "revoked"


@pytest.mark.usefixtures("fetcher")
def test_someone_elses_or_a_tampered_credential_is_refused_with_its_reason(
    client: FlaskClient, db_session: Session, student: User
) -> None:
    stranger = w.credential(
        7,
        subject=w.credential(7).subject.__class__(
            achievement=w.credential(7).subject.achievement, id="did:example:someone-else"
        ),
    )
    for payload in (
        json.dumps(w.signed(stranger)),
        json.dumps(w.signed(), ensure_ascii=False).replace(NAME, "データサイエンス応用"),
        "not a credential",
    ):
        status, page = _import_image(client, baking.bake(png_bytes(), payload), "badge.png")
        assert 400 <= status < 500, page
    assert db_session.scalar(select(ImportedBadge)) is None
