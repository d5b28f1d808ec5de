"""The mail outbox: services write rows, a background job delivers them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wallet.mail import Envelope, MailError
from wallet.models import MailStatus, OutboxMail

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# A claimed mail is not due again for this long: if its worker dies, another retries it.
CLAIM_LEASE = timedelta(minutes=15)

Send = Callable[[Envelope], EmailMessage]


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

    On PostgreSQL rows another worker is claiming are skipped (``SKIP LOCKED``);
    SQLite has a single writer, and ignores ``FOR UPDATE``.
    """
    rows = session.scalars(
        select(OutboxMail)
        .where(OutboxMail.status == MailStatus.QUEUED, OutboxMail.next_attempt_at <= now)
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        row.next_attempt_at = now + CLAIM_LEASE
        claimed.append(
            _Claimed(
                Envelope(
                    mail_id=row.id,
                    template=row.template,
                    to_email=row.to_email,
                    locale=row.locale,
                    context=dict(row.context),
                    created_at=row.created_at,
                ),
                row.attempts,
            )
        )
    session.flush()
    return claimed


def _mark_sent(session: Session, mail_id: int, message: EmailMessage, now: datetime) -> None:
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.status == MailStatus.QUEUED)
        .values(
            status=MailStatus.SENT,
            sent_at=now,
            context={},  # may hold claim or activation links
            subject=str(message["Subject"] or "")[:300],
            message_id=str(message["Message-ID"] or "")[:200],
            last_error="",
        )
        .execution_options(synchronize_session=False)
    )


def _mark_failed(
    session: Session, claimed: _Claimed, error: MailError, now: datetime
) -> MailStatus:
    attempts = claimed.attempts + 1
    gave_up = error.permanent or attempts >= MAX_ATTEMPTS
    status = MailStatus.FAILED if gave_up else MailStatus.QUEUED
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == claimed.envelope.mail_id, OutboxMail.status == MailStatus.QUEUED)
        .values(
            status=status,
            attempts=attempts,
            next_attempt_at=now + retry_delay(attempts),
            last_error=str(error)[:1000],
        )
        .execution_options(synchronize_session=False)
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
