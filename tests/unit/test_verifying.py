"""Verdicts on our own badges: verified from the database, never online."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.conftest import BASE_URL
from tests.factories import AwardFactory, BadgeClassFactory, BlobFactory, UserFactory
from wallet.models import Award, AwardState
from wallet.openbadges.fetching import FetchError, FetchResult
from wallet.services import documents
from wallet.services.verifying import (
    SiteFetcher,
    Verdict,
    VerdictCache,
    anchoring_completes_at,
    verify_award,
    verify_url,
)

TOKYO = "Asia/Tokyo"
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


def accepted(**values: object) -> Award:
    owner = UserFactory()
    values.setdefault("state", AwardState.ISSUED)
    values.setdefault("issued_on", NOW - timedelta(days=60))
    values.setdefault("accepted_at", NOW - timedelta(days=59))
    return AwardFactory(user=owner, recipient_email=owner.email, is_public=True, **values)


def verdict_on(session: Session, award: Award, now: datetime = NOW, **kw: object) -> Verdict:
    return verify_award(session, award, base_url=BASE_URL, timezone=TOKYO, now=now, **kw)  # type: ignore[arg-type]


def statuses(verdict: Verdict) -> dict[str, str]:
    return {check.code: check.status for check in verdict.checks}


# -- the fetcher ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/ob/assertions/x",
        "http://wallet.test.evil.example/ob/assertions/x",
        "http://wallet.test@evil.example/ob/assertions/x",
        "http://wallet.testing/ob/assertions/x",
        "https://wallet.test/ob/assertions/x",  # another scheme is another origin
        "http://127.0.0.1/ob/assertions/x",
        "file:///etc/passwd",
    ],
)
def test_the_site_fetcher_refuses_anything_not_ours(db_session: Session, url: str) -> None:
    with pytest.raises(FetchError):
        SiteFetcher(db_session, BASE_URL)(url)


def test_the_site_fetcher_answers_our_documents_as_the_routes_do(db_session: Session) -> None:
    award = accepted()
    fetch = SiteFetcher(db_session, BASE_URL)
    answer = fetch(documents.assertion_url(BASE_URL, award))
    assert answer.status == 200
    assert answer.media_type == "application/ld+json"
    assert json.loads(answer.body)["id"] == documents.assertion_url(BASE_URL, award)
    image = fetch(f"{BASE_URL}/ob/images/{award.badge_class.image_sha256}")
    assert (image.status, image.media_type) == (200, "image/png")
    for missing in ("/ob/assertions/nope", "/ob/other/x", "/wallet", "/ob/assertions/x?y=1"):
        assert fetch(BASE_URL + missing).status == 404


# -- verdicts ----------------------------------------------------------------------------------


def test_a_live_award_is_valid_and_every_fetch_stays_home(db_session: Session) -> None:
    award = accepted()
    verdict = verdict_on(db_session, award)
    assert verdict.status == "valid"
    assert verdict.checked_at == NOW
    assert statuses(verdict) == {
        "issuer": "pass",
        "record": "pass",
        "recipient": "pass",
        "revocation": "pass",
        "expiry": "pass",
        "image": "pass",
    }


def test_a_revoked_award_gives_the_revoked_verdict_with_its_reason(db_session: Session) -> None:
    award = accepted(revoked_at=NOW - timedelta(days=1), revocation_reason="誤って授与しました")
    verdict = verdict_on(db_session, award)
    assert verdict.status == "revoked"
    assert verdict.revocation_reason == "誤って授与しました"
    assert statuses(verdict)["revocation"] == "fail"


def test_an_expired_award_is_expired_and_nothing_else_failed(db_session: Session) -> None:
    award = accepted(expires_at=NOW - timedelta(days=1))
    verdict = verdict_on(db_session, award)
    assert verdict.status == "expired"
    assert verdict.expires_at == NOW - timedelta(days=1)
    failed = {code for code, status in statuses(verdict).items() if status == "fail"}
    assert failed == {"expiry"}


def test_a_pending_award_waits_for_the_next_anchoring_run(db_session: Session) -> None:
    award = accepted(
        state=AwardState.PENDING,
        badge_class=BadgeClassFactory(anchored=True),
        accepted_at=datetime(2026, 5, 31, 16, 0, tzinfo=UTC),  # 01:00 in Tokyo, June 1st
    )
    verdict = verdict_on(db_session, award, now=datetime(2026, 5, 31, 17, 0, tzinfo=UTC))
    assert verdict.status == "pending"
    # that very morning's run at 03:00 Tokyo (18:00 UTC the day before)
    assert verdict.completes_at == datetime(2026, 5, 31, 18, 0, tzinfo=UTC)
    assert statuses(verdict)["anchoring"] == "wait"


def test_an_anchoring_run_that_passed_without_it_points_at_the_next(db_session: Session) -> None:
    award = accepted(
        state=AwardState.PENDING,
        badge_class=BadgeClassFactory(anchored=True),
        accepted_at=datetime(2026, 4, 1, 5, 0, tzinfo=UTC),  # 14:00 in Tokyo
    )
    due = anchoring_completes_at(award, TOKYO, datetime(2026, 4, 1, 6, 0, tzinfo=UTC))
    assert due == datetime(2026, 4, 1, 18, 0, tzinfo=UTC)  # 03:00 on April 2nd in Tokyo
    late = anchoring_completes_at(award, TOKYO, datetime(2026, 4, 3, 0, 0, tzinfo=UTC))
    assert late == datetime(2026, 4, 3, 18, 0, tzinfo=UTC)
    assert anchoring_completes_at(accepted(), TOKYO, NOW) is None


def test_a_damaged_image_is_not_called_valid(db_session: Session) -> None:
    blob = BlobFactory(data=b"GIF89a not a PNG at all", content_type="image/png")
    award = accepted(badge_class=BadgeClassFactory(image_sha256=blob.sha256))
    verdict = verdict_on(db_session, award)
    assert verdict.status == "unverified"
    assert statuses(verdict)["image"] == "fail"


FORGED_RECIPIENT = {"type": "email", "identity": "sha256$" + "0" * 64}


def _tampering(fetch: SiteFetcher, url: str, change: dict[str, object]) -> SiteFetcher:
    class Tampered(SiteFetcher):
        def __call__(self, asked: str) -> FetchResult:
            answer = fetch(asked)
            if asked != url:
                return answer
            body = json.loads(answer.body) | change
            return FetchResult(200, answer.content_type, json.dumps(body).encode(), asked)

    return Tampered(fetch.session, fetch.base_url)


@pytest.mark.parametrize(
    ("document", "change", "failing"),
    [
        ("assertion", {"recipient": {**FORGED_RECIPIENT, "hashed": True}}, "recipient"),
        ("assertion", {"id": "http://wallet.test/ob/assertions/another"}, "record"),
        ("assertion", {"badge": "https://evil.example/ob/badges/1"}, "record"),
        ("badge", {"issuer": "https://evil.example/ob/issuers/1"}, "issuer"),
    ],
)
def test_a_tampered_document_fails(
    db_session: Session, document: str, change: dict[str, object], failing: str
) -> None:
    award = accepted()
    url = {
        "assertion": documents.assertion_url(BASE_URL, award),
        "badge": documents.badge_class_url(BASE_URL, award.badge_class),
    }[document]
    fetch = _tampering(SiteFetcher(db_session, BASE_URL), url, change)
    assertion = documents.assertion_url(BASE_URL, award)
    verdict = verify_url(assertion, fetch, NOW, recipients=[award.recipient_email])
    assert verdict.status == "unverified"
    assert statuses(verdict)[failing] == "fail"


# -- the cache ----------------------------------------------------------------------------------


def test_a_cached_verdict_is_reused_until_anything_it_depends_on_changes(
    db_session: Session,
) -> None:
    cache = VerdictCache(ttl=timedelta(seconds=60))
    award = accepted()
    first = verdict_on(db_session, award, cache=cache)
    assert verdict_on(db_session, award, NOW + timedelta(seconds=59), cache=cache) is first
    later = verdict_on(db_session, award, NOW + timedelta(seconds=60), cache=cache)
    assert later is not first
    assert later.checked_at == NOW + timedelta(seconds=60)
    award.revoked_at = NOW
    award.revocation_reason = "取り消し"
    revoked = verdict_on(db_session, award, NOW + timedelta(seconds=61), cache=cache)
    assert revoked.status == "revoked"


def test_a_cached_verdict_ends_when_the_badge_expires(db_session: Session) -> None:
    cache = VerdictCache(ttl=timedelta(minutes=10))
    award = accepted(expires_at=NOW + timedelta(seconds=30))
    assert verdict_on(db_session, award, cache=cache).status == "valid"
    after = verdict_on(db_session, award, NOW + timedelta(seconds=31), cache=cache)
    assert after.status == "expired"
    # an expired verdict is kept like any other
    assert verdict_on(db_session, award, NOW + timedelta(seconds=40), cache=cache) is after


def test_the_cache_forgets_the_oldest_entries(db_session: Session) -> None:
    cache = VerdictCache(size=2)
    awards = [accepted() for _ in range(3)]
    first = verdict_on(db_session, awards[0], cache=cache)
    for award in awards[1:]:
        verdict_on(db_session, award, cache=cache)
    assert verdict_on(db_session, awards[0], cache=cache) is not first


def test_the_fingerprint_ignores_when_the_verdict_was_reached(db_session: Session) -> None:
    award = accepted()
    one = verdict_on(db_session, award)
    two = verdict_on(db_session, award, NOW + timedelta(minutes=5))
    assert one.checked_at != two.checked_at
    assert one.fingerprint() == two.fingerprint()
    award.revoked_at = NOW
    assert verdict_on(db_session, award).fingerprint() != one.fingerprint()
