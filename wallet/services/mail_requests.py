"""Mail that anyone may ask for by typing an address.

A password reset, mail 1 again, the activation link again, and (logged in) the
confirmation of another address. The request only writes a ``MailRequest`` row,
the same work whether or not the address has an account, so neither the answer
nor its timing says which addresses exist. A job answers the rows: it finds the
account or the awards, sends what is due, and honours the per-address limits
(``outbox.ADDRESS_LIMITS``) so nobody can flood a student's mailbox.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet.models import MailRequest, MailRequestKind, User
from wallet.services import accounts, claims

log = logging.getLogger(__name__)


def request_mail(
    session: Session, kind: MailRequestKind, email: str, locale: str, user_id: int | None = None
) -> None:
    """Note that someone asked for a ``kind`` mail to ``email``; a job answers it."""
    session.add(MailRequest(kind=kind, email=email[:320], locale=locale[:8], user_id=user_id))
    session.flush()


def answer_mail_requests(
    session: Session,
    *,
    base_url: str,
    claim_token_days: int,
    timezone: str,
    now: datetime,
    limit: int = 100,
) -> int:
    """Answer up to ``limit`` requests, oldest first, deleting each; returns how many.

    Rows another worker is answering are skipped (PostgreSQL), or wait (SQLite
    runs one writer at a time). The caller commits.
    """
    requests = session.scalars(
        select(MailRequest).order_by(MailRequest.id).limit(limit).with_for_update(skip_locked=True)
    ).all()
    for request in requests:
        _answer(session, request, base_url, claim_token_days, timezone, now)
        session.delete(request)
    session.flush()
    return len(requests)


def _answer(
    session: Session,
    request: MailRequest,
    base_url: str,
    claim_token_days: int,
    timezone: str,
    now: datetime,
) -> None:
    kind = request.kind
    if kind == MailRequestKind.PASSWORD_RESET:
        accounts.request_password_reset(session, request.email, request.locale, base_url, now)
    elif kind == MailRequestKind.ACTIVATION:
        accounts.resend_activation(session, request.email, base_url, now)
    elif kind == MailRequestKind.CLAIM:
        claims.resend_claim(session, request.email, base_url, now, claim_token_days, timezone)
    elif kind == MailRequestKind.ADD_EMAIL:
        user = session.get(User, request.user_id) if request.user_id else None
        if user is not None:
            accounts.request_add_email(session, user, request.email, base_url, now)
    else:
        log.warning("mail request %s of unknown kind %r dropped", request.id, kind)
