"""One award at a time: the list of a badge class's awards, mail 1 again, revocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wallet.db import utcnow
from wallet.models import Award, Token, TokenPurpose, User
from wallet.services import audit
from wallet.services.badges import badge_mail_facts
from wallet.services.errors import NotFoundError
from wallet.services.issuing.badge_classes import award_count, get_badge_class
from wallet.services.issuing.batches import offer_claims
from wallet.services.issuing.errors import IssuingError
from wallet.services.issuing.scope import visible_award
from wallet.services.text import clean_text

MAX_REASON = 1000


@dataclass(frozen=True)
class AwardPage:
    awards: list[Award]
    page: int
    pages: int
    total: int


def list_awards(
    session: Session, badge_class_id: int, *, page: int = 1, per_page: int = 50
) -> AwardPage:
    """The awards of a badge class, newest first, one page at a time."""
    badge = get_badge_class(session, badge_class_id)
    total = award_count(session, badge.id)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    awards = list(
        session.scalars(
            select(Award)
            .where(Award.badge_class_id == badge.id)
            .order_by(Award.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return AwardPage(awards=awards, page=page, pages=pages, total=total)


def get_award(session: Session, award_id: int) -> Award:
    award = session.get(Award, award_id)
    if award is None:
        raise NotFoundError()
    return award


def _retire_claim_tokens(session: Session, award_id: int, now: datetime) -> None:
    session.execute(
        update(Token)
        .where(
            Token.award_id == award_id,
            Token.purpose == TokenPurpose.CLAIM,
            Token.used_at.is_(None),
            Token.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


def resend_claim(
    session: Session,
    award_id: int,
    *,
    base_url: str,
    claim_lifetime: timedelta,
    timezone: str = "Asia/Tokyo",
    now: datetime | None = None,
    actor: User | None = None,
) -> Award:
    """Mail 1 again with a fresh claim link; links mailed before keep working.

    Only while the award waits to be claimed and is not revoked. Retiring the
    earlier links would let anyone who asks for a re-send break the link in the
    student's first mail; they stop working when the award is accepted,
    declined or revoked. With ``actor`` (a staff member) the award must be one they
    may see (``NotFoundError`` otherwise) and the re-send goes in the audit log.
    """
    now = now or utcnow()
    award = (
        visible_award(session, actor, award_id)
        if actor is not None
        else get_award(session, award_id)
    )
    if award.is_revoked:
        raise IssuingError("award_revoked")
    if not award.is_offered:
        raise IssuingError("award_claimed")
    offer_claims(
        session,
        [award],
        badge_mail_facts(award.badge_class),
        base_url=base_url,
        claim_lifetime=claim_lifetime,
        timezone=timezone,
        now=now,
    )
    if actor is not None:
        audit.record(session, actor, "award.resend", award, {"email": award.recipient_email})
    return award


def revoke_award(
    session: Session,
    award_id: int,
    reason: str,
    *,
    now: datetime | None = None,
    actor: User | None = None,
) -> Award:
    """Revoke with a reason verifiers will see; unclaimed links stop working.

    With ``actor`` (a staff member) the award must be one they may see
    (``NotFoundError`` otherwise) and the revocation goes in the audit log.
    """
    now = now or utcnow()
    award = (
        visible_award(session, actor, award_id)
        if actor is not None
        else get_award(session, award_id)
    )
    reason = clean_text(reason, field="reason", multiline=True)
    if not reason:
        raise IssuingError("reason_missing", field="reason")
    if len(reason) > MAX_REASON:
        raise IssuingError("reason_too_long", field="reason", max_len=MAX_REASON)
    if award.is_revoked:
        raise IssuingError("award_revoked")
    award.revoked_at = now
    award.revocation_reason = reason
    _retire_claim_tokens(session, award.id, now)
    session.flush()
    if actor is not None:
        audit.record(
            session,
            actor,
            "award.revoke",
            award,
            {"email": award.recipient_email, "reason": reason},
        )
    return award
