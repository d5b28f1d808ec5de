"""Claiming an award from the link in mail 1.

The claim token proves that whoever holds it reads the award's mailbox. It
stays usable until the award is accepted or declined (or it expires), so
clicking mail 1 twice is harmless. A first-time student registers from it; the
award is marked with the new account and accepted at their first login.
Adding the address to another account is undone from the mailbox (``claim_undo``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet.models import Award, AwardState, TokenPurpose, User
from wallet.openbadges.hashing import normalise_email
from wallet.services import issuing
from wallet.services.accounts import (
    AccountExistsError,
    attach_email,
    create_account,
    find_user_by_email,
    log_in,
    send_activation_again,
)
from wallet.services.badges import AwardRevokedError, accept_award
from wallet.services.claim_undo import queue_address_added
from wallet.services.errors import PermissionDeniedError, ServiceError, TokenInvalidError
from wallet.services.outbox import address_limit_reached
from wallet.services.tokens import find_token

TERMS_VERSION = "2026-04"


class TermsNotAcceptedError(ServiceError):
    """Registration without agreeing to the current terms."""

    code = "terms_not_accepted"


class ClaimStep(enum.StrEnum):
    REGISTER = "register"  # nobody owns the address: terms, then registration
    LOG_IN = "log_in"  # an account owns it: log in first
    ACCEPT = "accept"  # logged in as that account
    OTHER_ACCOUNT = "other_account"  # logged in as someone else


@dataclass(frozen=True)
class Claim:
    award: Award
    email: str
    owner: User | None

    def step_for(self, user: User | None) -> ClaimStep:
        if user is None:
            return ClaimStep.REGISTER if self.owner is None else ClaimStep.LOG_IN
        if self.owner is not None and self.owner.id == user.id:
            return ClaimStep.ACCEPT
        return ClaimStep.OTHER_ACCOUNT


def open_claim(session: Session, raw_token: str, now: datetime) -> Claim:
    """The award behind a claim link.

    ``TokenInvalidError`` for an unknown, used or expired link or an award that
    was already accepted or declined; ``AwardRevokedError`` once it is revoked.
    """
    token = find_token(session, raw_token, TokenPurpose.CLAIM, now)
    award = session.get(Award, token.award_id) if token.award_id else None
    if award is None:
        raise TokenInvalidError()
    if award.is_revoked:
        raise AwardRevokedError()
    if not award.is_offered:
        raise TokenInvalidError()
    email = normalise_email(award.recipient_email)
    return Claim(award=award, email=email, owner=find_user_by_email(session, email))


def register_from_claim(
    session: Session,
    raw_token: str,
    *,
    name: str,
    password: str,
    locale: str,
    terms_version: str | None,
    terms_accepted_at: datetime | None,
    public: bool,
    base_url: str,
    now: datetime,
) -> User:
    """Create the account for the award's address and mail the activation link.

    The award is accepted at the first login (``sign_in``), public or private as
    chosen here. A second submission (double click, back button) finds the account
    and raises ``AccountExistsError``: there is never a second account.
    """
    claim = open_claim(session, raw_token, now)
    if terms_version != TERMS_VERSION or terms_accepted_at is None:
        raise TermsNotAcceptedError()
    if claim.owner is not None:
        raise AccountExistsError()
    user = create_account(
        session,
        email=claim.email,
        name=name,
        password=password,
        locale=locale,
        terms_version=terms_version,
        terms_accepted_at=terms_accepted_at,
        base_url=base_url,
        now=now,
    )
    claim.award.user_id = user.id  # accepted at the first login, as chosen now
    claim.award.is_public = public
    session.flush()
    return user


def accept_claim(
    session: Session, raw_token: str, user: User, base_url: str, now: datetime, *, public: bool
) -> Award:
    """Accept the award of a claim link while logged in as the address's owner."""
    claim = open_claim(session, raw_token, now)
    if claim.step_for(user) is not ClaimStep.ACCEPT:
        raise PermissionDeniedError()
    return accept_award(session, user, claim.award.id, base_url, now, public=public)


def add_email_and_accept(
    session: Session, raw_token: str, user: User, base_url: str, now: datetime, *, public: bool
) -> Award:
    """Logged in as another account: the link proves the address, so add it and accept.

    Whoever was logged in may not be the mailbox's owner (a shared computer), so
    an address new to the account is told, with a link that undoes it.
    """
    claim = open_claim(session, raw_token, now)
    if claim.owner is not None and claim.owner.id != user.id:
        raise AccountExistsError(field="email")
    offered_to = claim.award.recipient_name  # acceptance replaces it with the account's name
    attach_email(session, user, claim.email, now)
    award = accept_award(session, user, claim.award.id, base_url, now, public=public)
    if claim.owner is None:
        queue_address_added(
            session, user, award, recipient_name=offered_to, base_url=base_url, now=now
        )
    return award


class ClaimAction(Protocol):
    """``accept_claim`` or ``add_email_and_accept``: what a claim page's button does."""

    def __call__(
        self,
        session: Session,
        raw_token: str,
        user: User,
        base_url: str,
        now: datetime,
        *,
        public: bool,
    ) -> Award: ...


@dataclass(frozen=True)
class SignIn:
    user: User
    accepted: list[Award]


def sign_in(session: Session, email: str, password: str, base_url: str, now: datetime) -> SignIn:
    """Log in, then accept the awards claimed at registration (first login after
    activation), public or private as chosen on the registration form."""
    user = log_in(session, email, password)
    claimed = session.execute(
        select(Award.id, Award.is_public).where(
            Award.user_id == user.id,
            Award.state == AwardState.OFFERED,
            Award.revoked_at.is_(None),
        )
    ).all()
    accepted = [
        accept_award(session, user, award_id, base_url, now, public=public)
        for award_id, public in claimed
    ]
    return SignIn(user=user, accepted=accepted)


def resend_claim(
    session: Session,
    email: str,
    base_url: str,
    now: datetime,
    lifetime_days: int,
    timezone: str = "Asia/Tokyo",
) -> None:
    """Mail fresh claim links for the awards still waiting at ``email``.

    If the address has an account that was never activated, the activation mail
    is sent again instead (that is what blocks the student). Links mailed before
    keep working. Silent either way, and once the address had its share of mail.
    """
    email = normalise_email(email)
    user = find_user_by_email(session, email)
    if user is not None and not user.is_activated:
        send_activation_again(session, user, base_url, now)
        return
    if address_limit_reached(session, email, (issuing.AWARD_NOTICE,), now):
        return
    awards = session.scalars(
        select(Award.id).where(
            Award.recipient_email == email,
            Award.state == AwardState.OFFERED,
            Award.revoked_at.is_(None),
        )
    ).all()
    for award_id in awards:  # mail 1 again, written by the issuing service
        issuing.resend_claim(
            session,
            award_id,
            base_url=base_url,
            claim_lifetime=timedelta(days=lifetime_days),
            timezone=timezone,
            now=now,
        )
