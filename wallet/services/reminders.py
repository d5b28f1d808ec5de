"""Claim reminders: an award nobody has claimed gets its claim link mailed again.

The university's current provider re-sends unclaimed badges monthly for up to six
months (issue 13). Every ``interval`` after mail 1 (and after each reminder) an
award still offered, not revoked, gets ``claim_reminder``, at most ``count`` times
and never once the award is older than ``interval * (count + 1)`` (a reminder
about a badge a year old, e.g. the first run after an upgrade, helps nobody).

A reminder never goes twice: the award's counter (``reminders_sent``, ``reminded_at``)
is raised in the transaction that claims it and queues the mail. Claiming reads
the due ids with ``SELECT ... FOR UPDATE SKIP LOCKED``, so parallel runs share the
work on PostgreSQL, and raises their counters; a run killed
half-way loses only its uncommitted batch, which the next run finds due again.

Claim tokens are stored only hashed, so the link in mail 1 cannot be mailed again.
A reminder carries a new link that ends when the newest live link does (the date
the student was told holds), or a fresh link with the full lifetime when the
earlier ones have expired or would within ``FRESH_LINK_BEFORE``. Earlier links
keep working until their own end; all stop when the award is accepted, declined
or revoked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, and_, func, insert, or_, select
from sqlalchemy.orm import Session, joinedload

from wallet import urls
from wallet.config import Settings
from wallet.models import Award, AwardState, BadgeClass, OutboxMail, Token, TokenPurpose
from wallet.security import hash_token, new_token
from wallet.services.badges import badge_mail_facts

CLAIM_REMINDER = "claim_reminder"  # templates/mail/claim_reminder/
BATCH_SIZE = 500
MAX_BATCHES_PER_RUN = 1000
# A live link ending sooner than this is not worth mailing: the reminder gets a fresh one.
FRESH_LINK_BEFORE = timedelta(days=7)

_AWARDS = cast(Table, Award.__table__)


@dataclass(frozen=True)
class ReminderPolicy:
    """How often (``interval``) and how many times (``count``) an award is reminded."""

    interval: timedelta
    count: int

    @classmethod
    def from_days(cls, interval_days: int, count: int) -> ReminderPolicy:
        return cls(interval=timedelta(days=interval_days), count=count)


def _due(policy: ReminderPolicy, now: datetime) -> ColumnElement[bool]:
    cutoff = now - policy.interval
    return and_(
        Award.state == AwardState.OFFERED,
        Award.revoked_at.is_(None),
        Award.reminders_sent < policy.count,
        Award.created_at > now - policy.interval * (policy.count + 1),
        or_(
            Award.reminded_at <= cutoff,
            and_(Award.reminded_at.is_(None), Award.created_at <= cutoff),
        ),
    )


def count_due_reminders(session: Session, policy: ReminderPolicy, now: datetime) -> int:
    """How many awards a run at ``now`` would remind."""
    if policy.count <= 0:
        return 0
    return session.scalar(select(func.count()).select_from(Award).where(_due(policy, now))) or 0


def _claim_due(
    session: Session, policy: ReminderPolicy, now: datetime, limit: int, after: int = 0
) -> list[int]:
    """Count one more reminder on up to ``limit`` due awards with ids above ``after``.

    A run walks the ids upwards (``after`` is the last batch's highest), so each
    batch reads the primary key from where the last stopped instead of passing
    over every award the run already reminded.
    """
    # Two statements, not ``UPDATE ... WHERE id IN (SELECT ... LIMIT n)``: PostgreSQL
    # may run such a subquery again for each row it updates and so take more than
    # ``limit`` rows. The rows locked here stay locked until the batch commits.
    ids = list(
        session.scalars(
            select(Award.id)
            .where(_due(policy, now), Award.id > after)
            .order_by(Award.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    rows = session.execute(
        _AWARDS.update()
        .where(_AWARDS.c.id.in_(ids))
        .values(reminders_sent=_AWARDS.c.reminders_sent + 1, reminded_at=now)
        .returning(_AWARDS.c.id)
    ).all()
    return sorted(row.id for row in rows)


def _live_link_ends(session: Session, award_ids: list[int], now: datetime) -> dict[int, datetime]:
    rows = session.execute(
        select(Token.award_id, func.max(Token.expires_at))
        .where(
            Token.award_id.in_(award_ids),
            Token.purpose == TokenPurpose.CLAIM,
            Token.used_at.is_(None),
            Token.expires_at > now,
        )
        .group_by(Token.award_id)
    ).all()
    return {award_id: ends for award_id, ends in rows if award_id is not None}


def queue_reminders(
    session: Session,
    award_ids: list[int],
    *,
    base_url: str,
    claim_lifetime: timedelta,
    timezone: str,
    now: datetime,
) -> None:
    """A claim link and a queued ``claim_reminder`` for each award, two statements in all."""
    if not award_ids:
        return
    awards = session.scalars(
        select(Award)
        .where(Award.id.in_(award_ids))
        .options(joinedload(Award.badge_class).joinedload(BadgeClass.issuer))
        .order_by(Award.id)
        .execution_options(populate_existing=True)
    ).all()
    ends = _live_link_ends(session, award_ids, now)
    zone = ZoneInfo(timezone)
    tokens: list[dict[str, object]] = []
    mails: list[dict[str, object]] = []
    for award in awards:
        live = ends.get(award.id)
        expires_at = live if live and live - now >= FRESH_LINK_BEFORE else now + claim_lifetime
        raw = new_token()
        tokens.append(
            {
                "purpose": TokenPurpose.CLAIM,
                "token_hash": hash_token(raw),
                "email": award.recipient_email,
                "award_id": award.id,
                "expires_at": expires_at,
                "created_at": now,
            }
        )
        mails.append(
            {
                "template": CLAIM_REMINDER,
                "to_email": award.recipient_email,
                "locale": award.locale,
                "context": {
                    **badge_mail_facts(award.badge_class),
                    "recipient_name": award.recipient_name,
                    "claim_url": urls.claim(base_url, raw),
                    "claim_expires_on": expires_at.astimezone(zone).date().isoformat(),
                    "awarded_on": award.issued_on.astimezone(zone).date().isoformat(),
                },
                "created_at": now,
                "next_attempt_at": now,
            }
        )
    # bulk inserts (one executemany each): the rows ``tokens.issue_token`` and
    # ``outbox.queue_mail`` write, without an ORM object per row (bench/bench_reminders.py)
    session.execute(insert(Token), tokens)
    session.execute(insert(OutboxMail), mails)


def send_due_reminders(
    session: Session,
    policy: ReminderPolicy,
    *,
    base_url: str,
    claim_lifetime: timedelta,
    timezone: str,
    now: datetime,
    commit: Callable[[], None],
    batch_size: int = BATCH_SIZE,
) -> int:
    """Queue a reminder for every due award, ``batch_size`` per transaction; how many.

    Each batch (the counters raised and the mails queued) is committed by
    ``commit``, the entry point's: this service only flushes. The mail itself is
    delivered by the outbox job that commit kicks.
    """
    if policy.count <= 0:
        return 0
    queued = after = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        award_ids = _claim_due(session, policy, now, batch_size, after)
        queue_reminders(
            session,
            award_ids,
            base_url=base_url,
            claim_lifetime=claim_lifetime,
            timezone=timezone,
            now=now,
        )
        commit()
        queued += len(award_ids)
        if len(award_ids) < batch_size:
            break
        after = award_ids[-1]
    return queued


def send_reminders_now(session: Session, settings: Settings, now: datetime) -> int:
    """``send_due_reminders`` with the site's settings, committing each batch in
    ``session``: what the hourly job and ``flask reminders send`` both run."""
    return send_due_reminders(
        session,
        ReminderPolicy.from_days(settings.reminder_interval_days, settings.reminder_count),
        base_url=settings.base_url,
        claim_lifetime=timedelta(days=settings.claim_token_days),
        timezone=settings.timezone,
        now=now,
        commit=session.commit,
    )
