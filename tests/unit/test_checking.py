"""Checking what a stranger hands in (services/checking.py): our documents from the
database, everything else through the fetcher given; reasons as codes; results kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.conftest import BASE_URL
from tests.factories import AwardFactory, UserFactory
from tests.unit.openbadges import world
from wallet.models import Award, AwardState
from wallet.openbadges import baking
from wallet.openbadges.fetching import FetchError, FetchResult
from wallet.openbadges.report import Report
from wallet.services.checking import (
    CheckCache,
    CheckedBadge,
    CheckInputError,
    check_badge,
    recipient_matches,
)
from wallet.services.verifying import verdict_from_report

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


def accepted(**values: object) -> Award:
    owner = UserFactory()
    values.setdefault("state", AwardState.ISSUED)
    values.setdefault("issued_on", NOW - timedelta(days=60))
    values.setdefault("accepted_at", NOW - timedelta(days=59))
    values.setdefault("is_public", True)
    return AwardFactory(user=owner, recipient_email=owner.email, **values)


class Nowhere:
    """A remote fetcher that must not be asked."""

    def __call__(self, url: str) -> FetchResult:
        raise AssertionError(f"fetched {url}")


def check(session: Session, given: str | bytes, kind: str = "url", **kw: object) -> CheckedBadge:
    kw.setdefault("remote", Nowhere())
    return check_badge(session, given, kind, base_url=BASE_URL, now=NOW, **kw)  # type: ignore[arg-type]


def test_our_share_link_and_assertion_url_never_leave_the_database(db_session: Session) -> None:
    award = accepted()
    for given in (f"{BASE_URL}/b/{award.share_id}", f"{BASE_URL}/ob/assertions/{award.public_id}"):
        checked = check(db_session, given)
        assert checked.verdict.status == "valid"
        assert checked.assertion_url == f"{BASE_URL}/ob/assertions/{award.public_id}"
        assert checked.badge_name == award.badge_class.name


def test_a_private_share_link_is_an_address_with_nothing_there(db_session: Session) -> None:
    award = accepted(is_public=False)
    with pytest.raises(CheckInputError) as caught:
        check(db_session, f"{BASE_URL}/b/{award.share_id}")
    assert (caught.value.code, caught.value.field) == ("http_404", "url")


def test_other_sites_go_through_the_remote_fetcher(db_session: Session) -> None:
    fetcher = world.World().fetcher()
    checked = check(db_session, world.ASSERTION_ID, remote=fetcher)
    assert checked.verdict.status == "valid"
    assert checked.issuer_name == "Example University"
    assert world.ASSERTION_ID in fetcher.requested


@pytest.mark.parametrize(
    ("given", "kind", "code"),
    [
        ("ftp://example.org/a", "url", "bad_url"),
        ("not json", "text", "not_json"),
        (b"GIF89a", "image", "not_an_image"),
        (world.png_bytes(), "image", "no_badge"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "image", "upload_too_large"),
    ],
)
def test_input_that_is_not_a_badge_is_refused_with_a_code(
    db_session: Session, given: str | bytes, kind: str, code: str
) -> None:
    with pytest.raises(CheckInputError) as caught:
        check(db_session, given, kind)
    assert caught.value.code == code
    assert caught.value.field == kind


def test_a_fetch_failure_of_the_given_address_is_its_reason(db_session: Session) -> None:
    def refusing(url: str) -> FetchResult:
        raise FetchError("internal", code="blocked_address")

    with pytest.raises(CheckInputError) as caught:
        check(db_session, "https://10.example/a", remote=refusing)
    assert caught.value.code == "blocked_address"


def test_a_baked_image_is_kept_by_its_hash(db_session: Session) -> None:
    fetcher = world.World().fetcher()
    image = baking.bake(world.png_bytes(), world.ASSERTION_ID)
    cache = CheckCache()
    first = check(db_session, image, "image", remote=fetcher, cache=cache)
    asked = len(fetcher.requested)
    again = check(db_session, image, "image", remote=fetcher, cache=cache)
    assert again is first
    assert len(fetcher.requested) == asked


def test_a_result_is_kept_no_longer_than_the_badge_is_valid(db_session: Session) -> None:
    expires = NOW + timedelta(seconds=10)
    documents = world.World()
    documents.publish(world.assertion(expires=expires))
    fetcher = documents.fetcher()
    cache = CheckCache()
    check(db_session, world.ASSERTION_ID, remote=fetcher, cache=cache)
    assert cache.get("url:" + world.ASSERTION_ID, NOW + timedelta(seconds=9)) is not None
    assert cache.get("url:" + world.ASSERTION_ID, NOW + timedelta(seconds=10)) is None


def test_a_failed_check_carries_the_fetchers_reason() -> None:
    report = Report()
    report.failed("badge.fetched", "https://x/b: refused", "blocked_address")
    (line,) = verdict_from_report(report, NOW).checks
    assert (line.code, line.status, line.cause) == ("record", "fail", "blocked_address")


def test_an_unsupported_format_is_a_check_of_its_own(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wallet.openbadges import registry

    monkeypatch.delitem(registry._VERIFIERS, "ob3")  # every format has a verifier now
    checked = check(db_session, '{"@context": ["https://www.w3.org/ns/credentials/v2"]}', "text")
    assert checked.format == "ob3"
    assert [(c.code, c.status, c.detail) for c in checked.verdict.checks] == [
        ("format", "fail", "ob3")
    ]


def test_a_malformed_3_0_credential_is_checked_not_called_unsupported(
    db_session: Session,
) -> None:
    checked = check(db_session, '{"@context": ["https://www.w3.org/ns/credentials/v2"]}', "text")
    assert checked.format == "ob3"
    assert [(c.code, c.status) for c in checked.verdict.checks] == [("credential", "fail")]


@pytest.mark.parametrize(
    ("email", "matches"),
    [(world.EMAIL, True), (" HANAKO.YAMADA@example.AC.JP ", True), ("x@example.ac.jp", False)],
)
def test_the_recipient_check_normalises_as_issuers_do(email: str, matches: bool) -> None:
    recipient = world.assertion().recipient
    assert recipient_matches(recipient.identity, recipient.salt or "", email) is matches
    assert recipient_matches(world.EMAIL.lower(), "", email) is matches
