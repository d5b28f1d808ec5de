"""Claim and acceptance services, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.accounts_support import STRONG, make_claim
from tests.factories import AwardFactory, UserFactory
from wallet.models import AwardState
from wallet.services import badges, claims
from wallet.services.accounts import AccountExistsError
from wallet.services.errors import NotFoundError, TokenInvalidError

BASE = "http://wallet.test"


def register(session: Session, raw: str) -> object:
    now = datetime.now(UTC)
    return claims.register_from_claim(
        session,
        raw,
        name="静岡 花子",
        password=STRONG,
        locale="ja",
        terms_version=claims.TERMS_VERSION,
        terms_accepted_at=now,
        public=True,
        base_url=BASE,
        now=now,
    )


def test_registering_twice_from_one_link_is_refused(db_session: Session) -> None:
    _award, raw = make_claim()
    register(db_session, raw)
    with pytest.raises(AccountExistsError):
        register(db_session, raw)


def test_registration_needs_the_current_terms(db_session: Session) -> None:
    _award, raw = make_claim()
    with pytest.raises(claims.TermsNotAcceptedError):
        claims.register_from_claim(
            db_session,
            raw,
            name="静岡 花子",
            password=STRONG,
            locale="ja",
            terms_version="2020-01",
            terms_accepted_at=datetime.now(UTC),
            public=True,
            base_url=BASE,
            now=datetime.now(UTC),
        )


def test_claim_links_expire_and_die_with_the_award(db_session: Session) -> None:
    award, raw = make_claim()
    with pytest.raises(TokenInvalidError):
        claims.open_claim(db_session, raw, datetime.now(UTC) + timedelta(days=91))
    award.revoked_at = datetime.now(UTC)
    with pytest.raises(badges.AwardRevokedError):
        claims.open_claim(db_session, raw, datetime.now(UTC))


def test_accept_is_for_the_recipient_only(db_session: Session) -> None:
    award = AwardFactory()
    stranger = UserFactory()
    with pytest.raises(NotFoundError):
        badges.accept_award(db_session, stranger, award.id, BASE, datetime.now(UTC), public=True)
    assert award.state == AwardState.OFFERED


def test_accepting_spends_the_claim_link(db_session: Session) -> None:
    user = UserFactory()
    award, raw = make_claim(recipient_email=user.email)
    badges.accept_award(db_session, user, award.id, BASE, datetime.now(UTC), public=True)
    with pytest.raises(TokenInvalidError):
        claims.open_claim(db_session, raw, datetime.now(UTC))
    with pytest.raises(badges.AwardDecidedError):
        badges.accept_award(db_session, user, award.id, BASE, datetime.now(UTC), public=True)
