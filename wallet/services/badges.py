"""The student's badges: what the wallet lists, accepting and declining.

An award reaches a student's wallet when it was sent to one of their verified
addresses; once accepted (or declined) it belongs to their account. Awards to
anyone else's addresses are "not found" for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from wallet import urls
from wallet.models import Award, AwardState, BadgeClass, Token, TokenPurpose, User
from wallet.services.errors import NotFoundError, ServiceError
from wallet.services.outbox import queue_mail


class AwardRevokedError(ServiceError):
    """The issuer withdrew the award; it can no longer be accepted."""

    code = "award_revoked"


class AwardDecidedError(ServiceError):
    """Already accepted or declined (a second click, a second tab)."""

    code = "award_decided"


@dataclass(frozen=True)
class WalletContents:
    """A student's badges, newest first: received (issued), pending, not yet accepted."""

    offered: list[Award]
    pending: list[Award]
    issued: list[Award]
    completes_on: dict[int, date]  # award id -> expected completion, for pending ones

    @property
    def is_empty(self) -> bool:
        return not (self.offered or self.pending or self.issued)


# The daily anchoring run (DESIGN.md): 03:00 in the site's time zone, for every
# anchored badge accepted since the run before.
ANCHORING_TIME = "03:00"  # the default of WALLET_ANCHORING_TIME


def next_anchoring_run(after: datetime, timezone: str, run_time: str = ANCHORING_TIME) -> datetime:
    """The first daily anchoring run (``ANCHORING_TIME`` in ``timezone``) strictly after
    ``after``: the next day, unless ``after`` is in the small hours before that day's run."""
    local = after.astimezone(ZoneInfo(timezone))
    run = datetime.combine(local.date(), time.fromisoformat(run_time), tzinfo=local.tzinfo)
    return run if run > local else run + timedelta(days=1)


def completes_on(award: Award, timezone: str, run_time: str = ANCHORING_TIME) -> date | None:
    """The day a pending (anchored) badge should be complete, in ``timezone``: the date
    of the first daily run after it was accepted. None for any other badge, revoked
    ones included: they will not complete."""
    if not award.is_pending or award.is_revoked or award.accepted_at is None:
        return None
    return next_anchoring_run(award.accepted_at, timezone, run_time).date()


def _visible_to(user: User) -> object:
    emails = user.verified_emails or [user.email]
    return or_(
        Award.user_id == user.id,
        Award.user_id.is_(None) & Award.recipient_email.in_(emails),
    )


def wallet_contents(
    session: Session, user: User, timezone: str, run_time: str = ANCHORING_TIME
) -> WalletContents:
    """Offered (not yet accepted, not revoked), pending (anchored, accepted; with the day
    each should complete, in ``timezone``) and issued (revoked ones included: the
    student should see that they were)."""
    awards = session.scalars(
        select(Award)
        .options(joinedload(Award.badge_class).joinedload(BadgeClass.issuer))
        .where(_visible_to(user))  # type: ignore[arg-type]
        .order_by(Award.issued_on.desc(), Award.id.desc())
    ).all()
    pending = [a for a in awards if a.is_pending and a.user_id == user.id]
    return WalletContents(
        offered=[a for a in awards if a.is_offered and not a.is_revoked],
        pending=pending,
        issued=[a for a in awards if a.state == AwardState.ISSUED and a.user_id == user.id],
        completes_on={a.id: day for a in pending if (day := completes_on(a, timezone, run_time))},
    )


def get_wallet_award(session: Session, user: User, award_id: int, *, lock: bool = False) -> Award:
    """One of ``user``'s awards, or ``NotFoundError`` (never "forbidden": no hints)."""
    query = select(Award).where(Award.id == award_id, _visible_to(user))  # type: ignore[arg-type]
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    award = session.scalar(query)
    if award is None or (award.state == AwardState.DECLINED and award.user_id != user.id):
        raise NotFoundError()
    return award


def _take_offer(session: Session, user: User, award_id: int) -> Award:
    """The offered award ``user`` is deciding on, locked and now theirs.

    ``AwardRevokedError`` once withdrawn; ``AwardDecidedError`` once accepted or declined.
    """
    award = get_wallet_award(session, user, award_id, lock=True)
    if award.is_revoked:
        raise AwardRevokedError()
    if not award.is_offered:
        raise AwardDecidedError()
    award.user_id = user.id
    return award


def _spend_claim_tokens(session: Session, award: Award, now: datetime) -> None:
    session.execute(
        update(Token)
        .where(
            Token.award_id == award.id,
            Token.purpose == TokenPurpose.CLAIM,
            Token.used_at.is_(None),
        )
        .values(used_at=now)
    )


def accept_award(
    session: Session, user: User, award_id: int, base_url: str, now: datetime, *, public: bool
) -> Award:
    """Accept an offered award, public (share page, profile) or private as the student chose.

    Hosted badges are issued at once and mail 2 ("badge issued") is queued;
    anchored badges become pending until the daily anchoring run completes them.
    The award's claim links stop working.
    """
    award = _take_offer(session, user, award_id)
    award.accepted_at = now
    award.recipient_name = user.name
    award.is_public = public
    if award.badge_class.is_anchored:
        award.state = AwardState.PENDING
    else:
        award.state = AwardState.ISSUED
        award.issued_at = now
        queue_issued_mail(session, user, award, base_url)
    _spend_claim_tokens(session, award, now)
    session.flush()
    return award


def queue_issued_mail(session: Session, user: User, award: Award, base_url: str) -> None:
    """Mail 2: the badge is issued."""
    queue_mail(session, **issued_mail(user, award.id, award.badge_class, base_url))


def issued_mail(user: User, award_id: int, badge: BadgeClass, base_url: str) -> dict[str, Any]:
    """Mail 2's outbox fields (``queue_mail``'s arguments); anchored badges also point to
    the public ledger. The daily anchoring run inserts thousands of these at once."""
    anchored = {"ledger_url": urls.ledger(base_url)} if badge.is_anchored else {}
    return {
        "template": "badge_issued",
        "to_email": user.email,
        "locale": user.locale,
        "context": {
            "recipient_name": user.name,
            **badge_mail_facts(badge),
            "badge_url": urls.wallet_badge(base_url, award_id),
            **anchored,
        },
    }


def badge_mail_facts(badge: BadgeClass) -> dict[str, str]:
    """The badge and issuer names, in both languages, that every badge mail shows."""
    return {
        "badge_name": badge.name,
        "badge_name_en": badge.name_en,
        "issuer_name": badge.issuer.name,
        "issuer_name_en": badge.issuer.name_en,
    }


def decline_award(session: Session, user: User, award_id: int, now: datetime) -> Award:
    """Decline an offered award: it leaves the list and its claim links stop working."""
    award = _take_offer(session, user, award_id)
    award.state = AwardState.DECLINED
    _spend_claim_tokens(session, award, now)
    session.flush()
    return award


def release_award(award: Award, share_id: str) -> None:
    """Back to what it was before anyone claimed it: unclaimed, private, nobody's.

    The issuer's facts stay (recipient address, dates, revocation), so the hosted
    assertion keeps verifying and the office can send mail 1 again. A new share id
    means links and QR codes handed out before lead nowhere.
    """
    award.user = None
    award.state = AwardState.OFFERED
    award.is_public = False
    award.accepted_at = None
    award.issued_at = None
    award.recipient_name = ""  # the account's name; the office's was replaced at acceptance
    award.share_id = share_id
