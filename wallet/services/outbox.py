"""The mail outbox: services write rows, a background job delivers them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from wallet.models import OutboxMail


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
