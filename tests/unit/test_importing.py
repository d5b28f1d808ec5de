"""Importing badges from other issuers: what is kept, what is refused, and checking again."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import openbadges_bakery
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, UserFactory
from tests.importing_support import BADGE_NAME, ISSUER_NAME, ForeignIssuer
from tests.loopback_http import answer
from tests.unit.openbadges.world import SVG, png_bytes
from wallet.models import Blob, EmailAddress, ImportedBadge, User
from wallet.openbadges.baking import _png_chunk, bake_png
from wallet.safe_fetch import SafeFetcher
from wallet.services import importing
from wallet.services.importing import ImportRefusedError

BASE_URL = "http://wallet.test"
# openbadges-bakery calls a deprecated rfc3986 helper; that is its business, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rfc3986.*")


@pytest.fixture
def issuer() -> Iterator[ForeignIssuer]:
    with ForeignIssuer() as running:
        yield running


@pytest.fixture
def student(db_session: Session) -> User:
    return UserFactory(email="hanako@shizuoka.ac.jp")


def _import(
    session: Session, user: User, data: str | bytes, fetcher: SafeFetcher, **kw: object
) -> ImportedBadge:
    now = kw.pop("now", datetime.now(UTC))
    return importing.import_badge(
        session,
        user,
        data,
        fetcher,
        base_url=BASE_URL,
        now=now,  # type: ignore[arg-type]
        max_image_bytes=512 * 1024,
    )


def _refused(
    session: Session, user: User, data: str | bytes, fetcher: SafeFetcher
) -> ImportRefusedError:
    before = session.scalar(select(func.count()).select_from(ImportedBadge))
    with pytest.raises(ImportRefusedError) as caught:
        _import(session, user, data, fetcher)
    assert session.scalar(select(func.count()).select_from(ImportedBadge)) == before
    return caught.value


def test_a_hosted_badge_is_kept_as_received_and_private(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted("Hanako@Shizuoka.ac.jp")
    imported = _import(db_session, student, url, issuer.fetcher())
    assert imported.source == "url"
    assert imported.source_url == url
    assert imported.assertion_id == url
    assert imported.assertion_json["id"] == url
    assert imported.badge_json["name"] == BADGE_NAME
    assert imported.issuer_json["name"] == ISSUER_NAME
    assert (imported.issuer_name, imported.badge_name) == (ISSUER_NAME, BADGE_NAME)
    assert imported.recipient_email == "hanako@shizuoka.ac.jp"
    assert imported.status == "valid"
    assert imported.is_public is False
    assert imported.image_sha256 is not None
    assert len(imported.share_id) == 8  # the awards' shape: secrets.token_urlsafe(6)


def test_a_signed_badge_keeps_its_jws(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    jws = issuer.signed("hanako@shizuoka.ac.jp")
    imported = _import(db_session, student, issuer.baked_png(jws), issuer.fetcher())
    assert imported.source == "png"
    assert imported.signed_jws == jws
    assert imported.assertion_json["id"].startswith("urn:uuid:")
    assert imported.status == "valid"


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_baked_image_is_kept_byte_for_byte(
    db_session: Session, student: User, issuer: ForeignIssuer, kind: str
) -> None:
    url = issuer.hosted("hanako@shizuoka.ac.jp")
    image = issuer.baked_png(url) if kind == "png" else issuer.baked_svg(url)
    imported = _import(db_session, student, image, issuer.fetcher())
    assert imported.source == kind
    source = db_session.get(Blob, imported.source_image_sha256)
    assert source is not None
    assert source.data == image


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_an_image_baked_by_openbadges_bakery_is_imported(
    db_session: Session, student: User, issuer: ForeignIssuer, kind: str
) -> None:
    document = issuer.assertion("hanako@shizuoka.ac.jp")
    issuer.publish(document)
    plain = png_bytes() if kind == "png" else SVG
    output = openbadges_bakery.bake(io.BytesIO(plain), json.dumps(document.to_json()))
    imported = _import(db_session, student, output.read(), issuer.fetcher())
    assert imported.assertion_id == document.id


def test_another_plain_address_is_named(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted("someone@else.example", hashed=False)
    error = _refused(db_session, student, url, issuer.fetcher())
    assert error.code == "other_recipient"
    assert error.params["address"] == "someone@else.example"


def test_another_hashed_address_says_only_that_it_does_not_match(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted("someone@else.example")
    assert _refused(db_session, student, url, issuer.fetcher()).code == "other_recipient_hashed"


def test_an_unverified_address_of_the_student_does_not_count(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    student.emails.append(EmailAddress(email="private@example.jp"))
    db_session.flush()
    url = issuer.hosted("private@example.jp")
    assert _refused(db_session, student, url, issuer.fetcher()).code == "other_recipient_hashed"


def test_a_second_import_of_the_same_badge_is_refused(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted("hanako@shizuoka.ac.jp")
    _import(db_session, student, url, issuer.fetcher())
    error = _refused(db_session, student, issuer.baked_png(url), issuer.fetcher())
    assert error.code == "duplicate"


def test_a_revoked_badge_is_refused_with_the_reason(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted("hanako@shizuoka.ac.jp")
    issuer.revoke(url, "issued by mistake")
    error = _refused(db_session, student, url, issuer.fetcher())
    assert (error.code, error.params["reason"]) == ("revoked", "issued by mistake")


def test_an_expired_badge_is_refused(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted(
        "hanako@shizuoka.ac.jp",
        issued_on=datetime.now(UTC) - timedelta(days=400),
        expires=datetime.now(UTC) - timedelta(days=35),
    )
    assert _refused(db_session, student, url, issuer.fetcher()).code == "expired"


def test_a_badge_that_does_not_verify_is_refused(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted("hanako@shizuoka.ac.jp")
    issuer.server.routes["/badge.png"] = answer(b"<html>", "text/html")
    error = _refused(db_session, student, url, issuer.fetcher())
    assert (error.code, error.params["cause"]) == ("fetch_failed", "not_a_badge")
    issuer.server.routes.pop("/badge")
    error = _refused(db_session, student, url, issuer.fetcher())
    assert (error.code, error.params["cause"]) == ("fetch_failed", "http_404")


def test_a_bad_signature_is_refused(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    head, payload, _ = issuer.signed("hanako@shizuoka.ac.jp").split(".")
    other = issuer.signed("hanako@shizuoka.ac.jp").split(".")[2]
    # pasted, a JWS is no address: only images carry one
    error = _refused(db_session, student, f"{head}.{payload}.{other}", issuer.fetcher())
    assert error.code == "not_a_url"
    baked = issuer.baked_png(f"{head}.{payload}.{other}")
    error = _refused(db_session, student, baked, issuer.fetcher())
    assert (error.code, error.params["check"]) == ("unverified", "signature")


def test_an_internal_address_is_refused_and_never_fetched(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    fetcher = issuer.fetcher()
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1/",
        "http://10.0.0.5/",
    ):
        error = _refused(db_session, student, url, fetcher)
        assert (error.code, error.params["cause"]) == ("fetch_failed", "blocked_address")
    assert issuer.server.requests == []


@pytest.mark.parametrize(
    ("image", "code"),
    [
        (b"GIF89a not a badge", "not_an_image"),
        ("plain", "no_badge_in_image"),
        ("several", "several_badges_in_image"),
    ],
)
def test_an_image_with_no_badge_or_several_is_refused(
    db_session: Session, student: User, issuer: ForeignIssuer, image: object, code: str
) -> None:
    if image == "plain":
        image = png_bytes()
    elif image == "several":
        one = issuer.baked_png(issuer.hosted("hanako@shizuoka.ac.jp"))
        extra = _png_chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00" + b"http://x.example/2")
        image = one[:-12] + extra + one[-12:]
    assert isinstance(image, bytes)
    assert _refused(db_session, student, image, issuer.fetcher()).code == code


def test_our_own_badges_are_not_imported(db_session: Session, student: User) -> None:
    mine = AwardFactory(issued=True, user=student, recipient_email=student.email)
    theirs = AwardFactory(issued=True)
    fetcher = SafeFetcher()
    for url in (f"{BASE_URL}/b/{mine.share_id}", f"{BASE_URL}/ob/assertions/{mine.public_id}"):
        assert _refused(db_session, student, url, fetcher).code == "ours_in_wallet"
    for url in (f"{BASE_URL}/b/{theirs.share_id}", f"{BASE_URL}/wallet"):
        assert _refused(db_session, student, url, fetcher).code == "ours"
    baked = bake_png(png_bytes(), f"{BASE_URL}/ob/assertions/{mine.public_id}")
    assert _refused(db_session, student, baked, fetcher).code == "ours_in_wallet"


def test_the_job_flips_a_badge_revoked_later_with_the_reason(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    url = issuer.hosted("hanako@shizuoka.ac.jp")
    imported = _import(db_session, student, url, issuer.fetcher())
    issuer.revoke(url, "the exam was retaken")
    later = datetime.now(UTC) + timedelta(hours=2)
    assert (
        importing.reverify_due(db_session, issuer.fetcher(), base_url=BASE_URL, now=later, limit=10)
        == 0
    )  # checked less than a day ago
    tomorrow = datetime.now(UTC) + timedelta(days=1, minutes=1)
    assert (
        importing.reverify_due(
            db_session, issuer.fetcher(), base_url=BASE_URL, now=tomorrow, limit=10
        )
        == 1
    )
    assert imported.status == "revoked"
    assert imported.revocation_reason == "the exam was retaken"
    assert imported.checked_at == tomorrow
    verdict = importing.stored_verdict(imported)
    assert verdict.status == "revoked"
    assert verdict.revocation_reason == "the exam was retaken"


def test_an_issuers_nul_characters_are_dropped_and_impossible_dates_refused(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    from dataclasses import replace

    issuer.publish(replace(issuer.issuer, name="Example\x00 Institute"))
    issuer.publish(replace(issuer.badge, description="Line one\x00line two"))
    imported = _import(db_session, student, issuer.hosted(student.email), issuer.fetcher())
    db_session.flush()
    assert imported.issuer_name == "Example Institute"
    assert imported.description == "Line oneline two"
    far = datetime.fromisoformat("0001-01-01T00:00:00+09:00")
    url = issuer.hosted(student.email, issued_on=far)
    error = _refused(db_session, student, url, issuer.fetcher())
    assert (error.code, error.params["check"]) == ("unverified", "expiry")


def test_deleting_the_account_deletes_its_imported_badges(
    db_session: Session, student: User, issuer: ForeignIssuer
) -> None:
    from tests.factories import PASSWORD
    from wallet.services.account_deletion import delete_account

    _import(db_session, student, issuer.hosted(student.email), issuer.fetcher())
    upload = issuer.baked_png(issuer.hosted("hanako@shizuoka.ac.jp"))
    from_image = _import(db_session, student, upload, issuer.fetcher())
    uploaded, badge_image = from_image.source_image_sha256, from_image.image_sha256
    shared = AwardFactory().badge_class.image_sha256  # an image someone else still uses
    delete_account(db_session, student, PASSWORD, datetime.now(UTC))
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(ImportedBadge)) == 0
    # the uploaded image names its recipient: it goes with the account
    assert db_session.get(Blob, uploaded) is None
    assert db_session.get(Blob, shared) is not None
    assert badge_image is not None
    assert db_session.get(Blob, badge_image) is not None
