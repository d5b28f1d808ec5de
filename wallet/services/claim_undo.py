"""Taking back an address that a claim link added to the account someone was logged in as.

A claim link proves its mailbox, so while another account is logged in it may
add the address to that account and accept the award there (``claims``). That
is right when both are the same student, and wrong on a shared computer where
someone else was still logged in. So the mailbox hears of it at once: a notice
(``address_added``) names the account and carries a single-use link that undoes
it for 30 days. Undoing removes the address from that account, returns the
awards it received through the address to the unclaimed state, mails the
address a fresh mail 1 for each, and tells the account owner (``address_removed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wallet import urls
from wallet.models import Award, EmailAddress, Token, TokenPurpose, User
from wallet.openbadges.hashing import normalise_email
from wallet.services import issuing
from wallet.services.badges import badge_mail_facts, release_award
from wallet.services.errors import TokenInvalidError
from wallet.services.outbox import queue_mail
from wallet.services.tokens import find_token, issue_token

UNDO_LIFETIME = timedelta(days=30)
ADDED_NOTICE = "address_added"  # to the address: templates/mail/address_added/
REMOVED_NOTICE = "address_removed"  # to the account: templates/mail/address_removed/


def queue_address_added(
    session: Session,
    user: User,
    award: Award,
    *,
    recipient_name: str,
    base_url: str,
    now: datetime,
) -> None:
    """Tell the mailbox of ``award`` that a claim link added it to ``user``'s account.

    Sent in the award's language. ``recipient_name`` is the name the office gave
    the award (acceptance replaces it with the account's). The mail carries a
    link that undoes it (``undo_added_address``), usable once for 30 days.
    """
    email = normalise_email(award.recipient_email)
    raw = issue_token(
        session,
        purpose=TokenPurpose.UNDO_ADD_EMAIL,
        email=email,
        lifetime=UNDO_LIFETIME,
        user_id=user.id,
        award_id=award.id,
        now=now,
    )
    queue_mail(
        session,
        template=ADDED_NOTICE,
        to_email=email,
        locale=award.locale,
        context={
            "recipient_name": recipient_name,
            "account_name": user.name,
            **badge_mail_facts(award.badge_class),
            "added_at": now.isoformat(),
            "undo_url": urls.undo_added_email(base_url, raw),
            "days": UNDO_LIFETIME.days,
        },
    )


@dataclass(frozen=True)
class AddressUndo:
    """What an undo link takes back: ``email`` from ``account``, and its ``awards``."""

    email: str
    account: User
    awards: list[Award]  # addressed to ``email``, accepted or declined by ``account``
    added_at: datetime

    @property
    def has_new_claims(self) -> bool:
        """Undoing mails a fresh mail 1 (every award but a revoked one gets one)."""
        return any(not award.is_revoked for award in self.awards)


def _address_undo(session: Session, token: Token) -> tuple[AddressUndo, EmailAddress]:
    """The undo a token stands for, and the address row it removes.

    ``TokenInvalidError`` when the account is gone, the address has left it, or
    the address is the account's login address (an undo never locks anyone out).
    """
    account = session.get(User, token.user_id) if token.user_id else None
    if account is None or normalise_email(account.email) == token.email:
        raise TokenInvalidError()
    address = session.scalar(
        select(EmailAddress).where(
            EmailAddress.email == token.email, EmailAddress.user_id == account.id
        )
    )
    if address is None:
        raise TokenInvalidError()
    awards = session.scalars(
        select(Award)
        .where(Award.recipient_email == token.email, Award.user_id == account.id)
        .order_by(Award.id)
    ).all()
    undo = AddressUndo(
        email=token.email, account=account, awards=list(awards), added_at=token.created_at
    )
    return undo, address


def open_undo(session: Session, raw_token: str, now: datetime) -> AddressUndo:
    """What the undo link would do (nothing is changed); ``TokenInvalidError`` if it cannot."""
    undo, _address = _address_undo(
        session, find_token(session, raw_token, TokenPurpose.UNDO_ADD_EMAIL, now)
    )
    return undo


def undo_added_address(
    session: Session,
    raw_token: str,
    *,
    base_url: str,
    claim_lifetime: timedelta,
    timezone: str,
    now: datetime,
) -> AddressUndo:
    """Remove the address from the account and give its awards back to the mailbox.

    Each award the account accepted or declined through the address is offered
    again: no account, private, not accepted, not issued, the name the account
    gave it cleared and a new share id (links the account handed out never
    show the owner's page). Its assertion id stays, so a badge file already
    downloaded keeps verifying for the address it names. Every undo link for
    this address and account is spent; each award that is not revoked gets a
    fresh mail 1; the account owner is told. The account's other addresses and
    awards are untouched.
    """
    token = _locked(session, find_token(session, raw_token, TokenPurpose.UNDO_ADD_EMAIL, now), now)
    undo, address = _address_undo(session, token)
    session.execute(
        update(Token)
        .where(
            Token.purpose == TokenPurpose.UNDO_ADD_EMAIL,
            Token.user_id == undo.account.id,
            Token.email == undo.email,
            Token.used_at.is_(None),
        )
        .values(used_at=now)
    )
    undo.account.emails.remove(address)
    for award, share_id in zip(
        undo.awards, issuing.new_share_ids(session, len(undo.awards)), strict=True
    ):
        release_award(award, share_id)
    session.flush()
    for award in undo.awards:
        if not award.is_revoked:  # a withdrawn badge cannot be claimed: no mail 1
            issuing.resend_claim(
                session,
                award.id,
                base_url=base_url,
                claim_lifetime=claim_lifetime,
                timezone=timezone,
                now=now,
            )
    _queue_removed_notice(session, undo, base_url)
    return undo


def _locked(session: Session, token: Token, now: datetime) -> Token:
    """``token`` with its row locked: a second click waits here, then finds it spent."""
    locked = session.scalar(
        select(Token)
        .where(Token.id == token.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None or not locked.is_usable(now):
        raise TokenInvalidError()
    return locked


def _queue_removed_notice(session: Session, undo: AddressUndo, base_url: str) -> None:
    """Tell the account why the address and its badges left the wallet."""
    queue_mail(
        session,
        template=REMOVED_NOTICE,
        to_email=undo.account.email,
        locale=undo.account.locale,
        context={
            "recipient_name": undo.account.name,
            "address": undo.email,
            "badges": [badge_mail_facts(award.badge_class) for award in undo.awards],
            "account_url": urls.account(base_url),
        },
    )
