"""The mail outbox: services write rows, a background job delivers them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from wallet.mail import Envelope, MailError
from wallet.models import MailStatus, OutboxMail
from wallet.services import audit
from wallet.services.errors import NotFoundError

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# A claimed mail is not due again for this long: if its worker dies, another retries it.
CLAIM_LEASE = timedelta(minutes=15)

# However often someone asks, at most this many mails of one kind reach one address
# in each window: enough for a student who lost the first mail, too few to flood them.
ADDRESS_LIMITS = ((timedelta(hours=1), 3), (timedelta(days=1), 10))

Send = Callable[[Envelope], EmailMessage]
# Delivery writes with Core statements: one cheap UPDATE per mail, no identity map.
_TABLE = cast(Table, OutboxMail.__table__)


def queue_mail(
    session: Session, *, template: str, to_email: str, locale: str, context: dict[str, Any]
) -> OutboxMail:
    """Queue one mail in the caller's transaction.

    ``template`` is a folder under ``templates/mail/``; ``context`` holds only
    JSON-serialisable values. Nothing is sent until the transaction commits.
    """
    mail = OutboxMail(template=template, to_email=to_email, locale=locale, context=context)
    session.add(mail)
    session.flush()
    return mail


def address_limit_reached(
    session: Session, to_email: str, templates: Collection[str], now: datetime
) -> bool:
    """True when ``to_email`` got as many of these mails lately as ``ADDRESS_LIMITS`` allow."""
    oldest = now - max(window for window, _most in ADDRESS_LIMITS)
    sent = session.scalars(
        select(OutboxMail.created_at).where(
            OutboxMail.to_email == to_email,
            OutboxMail.template.in_(templates),
            OutboxMail.created_at > oldest,
        )
    ).all()
    return any(sum(at > now - window for at in sent) >= most for window, most in ADDRESS_LIMITS)


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: 30 s, 1 min, 2 min, ... at most 1 h."""
    delay: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, LONGEST_RETRY)


@dataclass(frozen=True)
class _Claimed:
    envelope: Envelope
    attempts: int


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _claim_due(session: Session, *, now: datetime, limit: int) -> list[_Claimed]:
    """Lease up to ``limit`` due mails so no other worker picks them meanwhile.

    The due ids are read with ``SELECT ... FOR UPDATE SKIP LOCKED`` and then leased by
    id: on PostgreSQL rows another worker is claiming are skipped, not waited for.
    (Not one ``UPDATE ... WHERE id IN (SELECT ... LIMIT n)``: PostgreSQL may run such a
    subquery more than once and lease more than ``limit``.) SQLite ignores ``FOR
    UPDATE``; its transactions begin ``IMMEDIATE`` (``wallet.db``), so two workers never
    read the same due rows at once.
    """
    due = list(
        session.scalars(
            select(OutboxMail.id)
            .where(OutboxMail.status == MailStatus.QUEUED, OutboxMail.next_attempt_at <= now)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not due:
        return []
    rows = session.execute(
        _TABLE.update()
        .where(_TABLE.c.id.in_(due))
        .values(next_attempt_at=now + CLAIM_LEASE)
        .returning(
            _TABLE.c.id,
            _TABLE.c.template,
            _TABLE.c.to_email,
            _TABLE.c.locale,
            _TABLE.c.context,
            _TABLE.c.created_at,
            _TABLE.c.attempts,
        )
    ).all()
    return [
        _Claimed(
            Envelope(
                mail_id=row.id,
                template=row.template,
                to_email=row.to_email,
                locale=row.locale,
                context=dict(row.context or {}),
                created_at=row.created_at,
            ),
            row.attempts,
        )
        for row in sorted(rows, key=lambda row: row.id)
    ]


def _mark_sent(session: Session, mail_id: int, message: EmailMessage, now: datetime) -> None:
    session.execute(
        _TABLE.update()
        .where(_TABLE.c.id == mail_id, _TABLE.c.status == MailStatus.QUEUED)
        .values(
            status=MailStatus.SENT,
            sent_at=now,
            context={},  # may hold claim or activation links
            subject=str(message["Subject"] or "")[:300],
            message_id=str(message["Message-ID"] or "")[:200],
            last_error="",
        )
    )


def _mark_failed(
    session: Session, claimed: _Claimed, error: MailError, now: datetime
) -> MailStatus:
    attempts = claimed.attempts + 1
    gave_up = error.permanent or attempts >= MAX_ATTEMPTS
    status = MailStatus.FAILED if gave_up else MailStatus.QUEUED
    session.execute(
        _TABLE.update()
        .where(_TABLE.c.id == claimed.envelope.mail_id, _TABLE.c.status == MailStatus.QUEUED)
        .values(
            status=status,
            attempts=attempts,
            next_attempt_at=now + retry_delay(attempts),
            last_error=str(error)[:1000],
        )
    )
    return status


def deliver_due_mail(
    session: Session,
    send: Send,
    now: datetime,
    limit: int = 100,
    *,
    commit: Callable[[], None],
) -> DeliveryReport:
    """Send up to ``limit`` due mails through ``send``, committing after each one.

    The claim is committed first (so parallel workers skip these mails), then
    every mail's outcome: sent (its context erased), or a failed attempt with
    the next attempt ``30 s * 2^(n-1)`` later (at most 1 h), given up after
    ``MAX_ATTEMPTS`` or a permanent refusal. ``commit`` is the entry point's:
    this service only flushes.
    """
    claimed = _claim_due(session, now=now, limit=limit)
    commit()
    report = DeliveryReport(claimed=len(claimed))
    for item in claimed:
        try:
            message = send(item.envelope)
        except MailError as error:
            if _mark_failed(session, item, error, now) == MailStatus.FAILED:
                report.failed += 1
            else:
                report.retrying += 1
        else:
            _mark_sent(session, item.envelope.mail_id, message, now)
            report.sent += 1
        commit()
    return report


# -- failed mail: shown to the office, put back in the queue on request ------------


@dataclass(frozen=True)
class FailedMailPage:
    mails: list[OutboxMail]
    total: int


def list_failed_mail(session: Session, *, limit: int = 200) -> FailedMailPage:
    """The mails delivery gave up on, newest first, with their last error and attempts."""
    total = session.scalar(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.status == MailStatus.FAILED)
    )
    mails = session.scalars(
        select(OutboxMail)
        .where(OutboxMail.status == MailStatus.FAILED)
        .order_by(OutboxMail.id.desc())
        .limit(limit)
    ).all()
    return FailedMailPage(mails=list(mails), total=total or 0)


def get_mail(session: Session, mail_id: int) -> OutboxMail:
    """One outbox mail by id; ``NotFoundError`` if there is none."""
    mail = session.get(OutboxMail, mail_id)
    if mail is None:
        raise NotFoundError()
    return mail


def requeue_failed_mail(
    session: Session,
    now: datetime,
    mail_ids: Collection[int] | None = None,
    *,
    actor: audit.Actor | None = None,
) -> int:
    """Put failed mails (those of ``mail_ids``, or all) back in the queue; how many.

    Each gets a fresh round of ``MAX_ATTEMPTS`` from ``now``; its last error stays
    until it is sent. Only rows still failed change, in one statement, so asking
    twice (a double click, two staff members, the command and the page) queues a
    mail once, and a mail sent meanwhile is never sent again. With ``actor`` (a
    staff member) the request, with its count, goes in the audit log.
    """
    statement = (
        _TABLE.update()
        .where(_TABLE.c.status == MailStatus.FAILED)
        .values(status=MailStatus.QUEUED, attempts=0, next_attempt_at=now)
    )
    if mail_ids is not None:
        statement = statement.where(_TABLE.c.id.in_(list(mail_ids)))
    result = session.execute(statement)
    count = int(getattr(result, "rowcount", 0) or 0)
    if actor is not None:
        ids = sorted(mail_ids) if mail_ids is not None else None
        target = session.get(OutboxMail, ids[0]) if ids and len(ids) == 1 else None
        audit.record(
            session, actor, "mail.requeue", target, {"count": count, "mail_ids": ids or "all"}
        )
    return count
