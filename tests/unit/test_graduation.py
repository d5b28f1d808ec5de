"""When the wallet asks a student for a personal address: the rule and the terms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tests.factories import IssuerFactory, UserFactory
from wallet.db import utcnow
from wallet.models import EmailAddress, User
from wallet.services import graduation
from wallet.services.graduation import should_ask_for_personal_address, term_start

TOKYO = "Asia/Tokyo"
UNIVERSITY = ["shizuoka.ac.jp"]


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "began"),
    [
        # 1 April 00:00 in Tokyo is 31 March 15:00 UTC
        (_utc(2026, 3, 31, 15, 0), _utc(2026, 3, 31, 15, 0)),
        (_utc(2026, 3, 31, 14, 59), _utc(2025, 9, 30, 15, 0)),  # still March in Tokyo
        (_utc(2026, 7, 20, 3, 0), _utc(2026, 3, 31, 15, 0)),
        (_utc(2026, 9, 30, 15, 0), _utc(2026, 9, 30, 15, 0)),  # 1 October in Tokyo
        (_utc(2026, 12, 31, 20, 0), _utc(2026, 9, 30, 15, 0)),  # 1 January 2027 in Tokyo
        (_utc(2027, 2, 14, 0, 0), _utc(2026, 9, 30, 15, 0)),
    ],
)
def test_terms_begin_on_1_april_and_1_october_in_the_sites_time_zone(
    now: datetime, began: datetime
) -> None:
    assert term_start(now, TOKYO) == began


def test_the_term_follows_the_configured_time_zone() -> None:
    assert term_start(_utc(2026, 3, 31, 20, 0), "UTC") == _utc(2025, 10, 1)


def _student(db_session: Session, *others: tuple[str, bool]) -> User:
    user: User = UserFactory(email="hanako@shizuoka.ac.jp")
    for email, verified in others:
        user.emails.append(EmailAddress(email=email, verified_at=utcnow() if verified else None))
    db_session.flush()
    return user


NOW = _utc(2026, 11, 29, 3, 0)


def test_a_student_with_only_university_addresses_is_asked(db_session: Session) -> None:
    user = _student(db_session, ("hanako@inf.shizuoka.ac.jp", True))
    assert should_ask_for_personal_address(user, UNIVERSITY, NOW, TOKYO)


def test_a_verified_personal_address_ends_the_question(db_session: Session) -> None:
    user = _student(db_session, ("hanako@example.com", True))
    assert not should_ask_for_personal_address(user, UNIVERSITY, NOW, TOKYO)


def test_an_unverified_personal_address_does_not_count(db_session: Session) -> None:
    user = _student(db_session, ("hanako@example.com", False))
    assert should_ask_for_personal_address(user, UNIVERSITY, NOW, TOKYO)


def test_an_address_that_merely_ends_like_the_domain_is_personal(db_session: Session) -> None:
    user = _student(db_session, ("hanako@notshizuoka.ac.jp", True))
    assert not should_ask_for_personal_address(user, UNIVERSITY, NOW, TOKYO)


def test_nobody_is_asked_while_the_office_has_set_no_domains(db_session: Session) -> None:
    assert not should_ask_for_personal_address(_student(db_session), [], NOW, TOKYO)


def test_programme_office_staff_are_not_asked(db_session: Session) -> None:
    staff = UserFactory(staff=True)
    assert not should_ask_for_personal_address(staff, UNIVERSITY, NOW, TOKYO)


@pytest.mark.parametrize(
    ("postponed", "asked"),
    [
        (None, True),
        (_utc(2026, 10, 5), False),  # "Later" this term
        (_utc(2026, 9, 30, 15, 0), False),  # the first moment of this term
        (_utc(2026, 9, 30, 14, 59), True),  # the last moment of the term before
        (_utc(2026, 5, 1), True),
    ],
)
def test_later_lasts_until_the_next_term_begins(
    db_session: Session, postponed: datetime | None, asked: bool
) -> None:
    user = _student(db_session)
    user.graduation_prompt_postponed_at = postponed
    assert should_ask_for_personal_address(user, UNIVERSITY, NOW, TOKYO) is asked


def test_the_issuer_profile_supplies_the_domains(db_session: Session) -> None:
    user = _student(db_session)
    assert not graduation.asks_for_personal_address(db_session, user, NOW, TOKYO)  # no issuer
    IssuerFactory(mail_domains=UNIVERSITY)
    assert graduation.asks_for_personal_address(db_session, user, NOW, TOKYO)
    graduation.postpone_graduation_prompt(db_session, user, NOW)
    assert user.graduation_prompt_postponed_at == NOW
    assert not graduation.asks_for_personal_address(db_session, user, NOW, TOKYO)
