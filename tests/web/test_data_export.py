"""The student's data as one ZIP file: every badge, baked images that verify once
unzipped, share settings, a README in the account's language; nobody else's data."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.accounts_support import log_in
from tests.conftest import BASE_URL
from tests.factories import (
    PASSWORD,
    AwardFactory,
    BadgeClassFactory,
    BlobFactory,
    ImportedBadgeFactory,
    UserFactory,
)
from tests.helpers import post_form
from wallet.models import Award, AwardState, EmailAddress, User
from wallet.openbadges.verify import verify_baked
from wallet.services.verifying import SiteFetcher

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
    b'<circle cx="32" cy="32" r="30" fill="#1d5fa0"/></svg>\n'
)


def _owned(user: User, **award: object) -> Award:
    values: dict[str, object] = {
        "issued": True,
        "user": user,
        "recipient_email": user.email,
        "is_public": True,
        "accepted_at": datetime.now(UTC),
    }
    values.update(award)
    return AwardFactory(**values)  # type: ignore[no-any-return]


def _export(client: FlaskClient) -> zipfile.ZipFile:
    response = post_form(client, "/account/export", {}, page="/account")
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert ".zip" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(response.data))


def _student(client: FlaskClient, locale: str = "ja") -> User:
    user: User = UserFactory(locale=locale)
    assert log_in(client, user.email, PASSWORD).status_code == 302
    return user


def _records(archive: zipfile.ZipFile) -> dict[str, dict[str, object]]:
    return {
        name: json.loads(archive.read(name))
        for name in archive.namelist()
        if name.startswith("badges/") and name.endswith(".json")
    }


def test_every_badge_is_exported_and_each_baked_image_verifies(
    client: FlaskClient, db_session: Session
) -> None:
    user = _student(client)
    second = "hanako@example.com"
    user.emails.append(EmailAddress(email=second, verified_at=datetime.now(UTC)))
    svg_class = BadgeClassFactory(
        image_sha256=BlobFactory(data=SVG, content_type="image/svg+xml").sha256
    )
    png_public = _owned(user)
    svg_private = _owned(user, badge_class=svg_class, is_public=False, recipient_email=second)
    pending = _owned(
        user, badge_class=BadgeClassFactory(anchored=True), state=AwardState.PENDING, issued_at=None
    )
    revoked = _owned(user, revoked_at=datetime.now(UTC), revocation_reason="誤って発行しました")
    AwardFactory(user=user, recipient_email=user.email)  # offered: not accepted, not theirs yet
    AwardFactory(user=user, recipient_email=user.email, state=AwardState.DECLINED)

    archive = _export(client)
    names = archive.namelist()
    records = _records(archive)
    exported = {record["assertion"]["id"]: name for name, record in records.items()}  # type: ignore[index]
    wanted = {png_public, svg_private, pending, revoked}
    assert set(exported) == {f"{BASE_URL}/ob/assertions/{award.public_id}" for award in wanted}

    fetch = SiteFetcher(db_session, BASE_URL)
    images = [name for name in names if name.endswith((".png", ".svg"))]
    # PNG for each live badge, and SVG too for the SVG one; none for the revoked badge
    assert len(images) == 4
    assert sum(name.endswith(".svg") for name in images) == 1
    for name in images:
        report = verify_baked(archive.read(name), fetch, recipients=[user.email, second])
        assert report.valid, (name, report.failures)
        assert name.rpartition(".")[0] + ".json" in names  # next to its record

    revoked_record = records[exported[f"{BASE_URL}/ob/assertions/{revoked.public_id}"]]
    assert revoked_record["assertion"]["revoked"] is True  # type: ignore[index]
    assert revoked_record["wallet"]["revocation_reason"] == "誤って発行しました"  # type: ignore[index]
    private_record = records[exported[f"{BASE_URL}/ob/assertions/{svg_private.public_id}"]]
    assert private_record["wallet"]["is_public"] is False  # type: ignore[index]
    assert private_record["badge_class"]["id"].endswith(svg_class.public_id)  # type: ignore[index]
    assert private_record["issuer"]["type"] == "Issuer"  # type: ignore[index]


def test_account_and_share_settings(client: FlaskClient, db_session: Session) -> None:
    user = _student(client, "en")
    user.emails.append(EmailAddress(email="hanako@example.com"))  # asked for, not confirmed
    badge = _owned(user, is_public=False)
    post_form(client, "/account/profile", {"public": "on"}, page="/account")

    archive = _export(client)
    account = json.loads(archive.read("account.json"))
    assert account["name"] == user.name
    assert account["login_email"] == user.email
    assert account["language"] == "en"
    assert account["created_at"]
    assert [(a["email"], a["verified"]) for a in account["email_addresses"]] == [
        (user.email, True),
        ("hanako@example.com", False),
    ]
    assert account["public_profile"] == {
        "is_public": True,
        "url": f"{BASE_URL}/u/{user.profile_id}",
    }
    settings = json.loads(archive.read("share_settings.json"))
    [shared] = settings["badges"]
    assert shared["is_public"] is False
    assert shared["share_url"] == f"{BASE_URL}/b/{badge.share_id}"
    assert shared["file"] in archive.namelist()
    assert settings["public_profile"]["is_public"] is True


def test_another_students_badges_are_never_in_it(client: FlaskClient) -> None:
    user = _student(client)
    _owned(user)
    other = UserFactory()
    theirs = [
        _owned(other),
        _owned(other, is_public=False),
        AwardFactory(recipient_email=user.email.upper()),  # not accepted by anyone
    ]
    archive = _export(client)
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for award in theirs:
        assert award.public_id.encode() not in everything
        assert award.share_id.encode() not in everything
    assert other.email.encode() not in everything
    assert other.name.encode() not in everything
    assert len(_records(archive)) == 1


@pytest.mark.parametrize(
    ("locale", "said", "not_said"),
    [
        ("ja", "オープンバッジ ウォレット：あなたのデータ", "Open Badge Wallet: your data"),
        ("en", "Open Badge Wallet: your data", "オープンバッジ"),
    ],
)
def test_the_readme_is_in_the_accounts_language(
    client: FlaskClient, locale: str, said: str, not_said: str
) -> None:
    user = _student(client, locale)
    _owned(user)
    client.set_cookie("wallet_lang", "en" if locale == "ja" else "ja")  # the account wins
    readme = _export(client).read("README.txt").decode("utf-8-sig")
    assert said in readme
    assert not_said not in readme
    for name in ("account.json", "share_settings.json", "badges/", ".png", ".svg", ".json"):
        assert name in readme
    assert user.name in readme


def test_file_names_are_safe_and_keep_japanese(client: FlaskClient) -> None:
    user = _student(client)
    for name in ("../../etc/passwd", "C:\\Windows\\win.ini", "..", "データ\u202e分析/基礎"):
        _owned(user, badge_class=BadgeClassFactory(name=name))
    _owned(user, badge_class=BadgeClassFactory(name="同じ名前"))
    _owned(user, badge_class=BadgeClassFactory(name="同じ名前"))
    names = _export(client).namelist()
    for name in names:
        assert not name.startswith("/")
        assert "\\" not in name
        assert ".." not in name.split("/")
        assert "\u202e" not in name
        assert name.count("/") <= 1
        assert name in {"README.txt", "account.json", "share_settings.json"} or (
            name.startswith("badges/")
        )
    badge_files = [name for name in names if name.endswith(".json") and "/" in name]
    assert len(badge_files) == 6  # the same name twice is two files
    assert any("データ 分析 基礎" in name for name in badge_files)


def test_login_and_the_csrf_token_are_required(client: FlaskClient) -> None:
    refused = post_form(client, "/account/export", {}, page="/login")  # a token, no login
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/login")
    assert client.get("/account/export").status_code == 405
    _student(client)
    assert client.post("/account/export", data={"csrf_token": "nope"}).status_code == 400
    page = client.get("/account").text
    assert 'action="/account/export"' in page


def test_a_wallet_too_large_for_one_file_is_refused_kindly(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wallet.services import data_export

    monkeypatch.setattr(data_export, "MAX_EXPORT_BYTES", 100)
    user = _student(client, "en")
    _owned(user)
    refused = post_form(client, "/account/export", {}, page="/account")
    assert refused.status_code == 302
    assert refused.headers["Location"] == "/account#export-heading"
    assert "Your data is too large for one file" in client.get("/account").text


def test_imported_badges_are_exported_as_received(client: FlaskClient) -> None:
    user = _student(client, locale="en")
    received = BlobFactory(data=b"\x89PNG\r\n\x1a\n as uploaded, byte for byte")
    from_image = ImportedBadgeFactory(
        user=user,
        badge_name="Data/Science ../Basics",
        source="png",
        source_url="",
        source_image_sha256=received.sha256,
        signed_jws="eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        is_public=True,
    )
    from_url = ImportedBadgeFactory(user=user, status="revoked", revocation_reason="Withdrawn")
    ImportedBadgeFactory(badge_name="Someone else's import")

    archive = _export(client)
    names = archive.namelist()
    imported = sorted(name for name in names if name.startswith("imported/"))
    # oldest import first; the name's separators never become folders
    assert imported == [
        "imported/001 Data Science .. Basics.json",
        "imported/001 Data Science .. Basics.png",
        "imported/002 Cloud Foundations.json",
    ]
    assert archive.read("imported/001 Data Science .. Basics.png") == received.data
    records = [json.loads(archive.read(name)) for name in imported if name.endswith(".json")]
    by_id = {record["assertion"]["id"]: record for record in records}
    assert set(by_id) == {from_image.assertion_id, from_url.assertion_id}
    assert by_id[from_image.assertion_id]["signed"] == from_image.signed_jws
    assert by_id[from_url.assertion_id]["wallet"]["last_check"] == "revoked"
    assert by_id[from_url.assertion_id]["wallet"]["revocation_reason"] == "Withdrawn"
    assert by_id[from_url.assertion_id]["wallet"]["imported_from"] == from_url.source_url
    settings = json.loads(archive.read("share_settings.json"))
    assert {item["name"] for item in settings["imported"]} == {
        from_image.badge_name,
        from_url.badge_name,
    }
    readme = archive.read("README.txt").decode("utf-8-sig")
    assert "imported/ (2)" in readme
    assert "Someone else" not in json.dumps(settings) + readme
