"""Programme office accounts: created by a command, never by sign-up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from wallet.db import utcnow
from wallet.models import User
from wallet.openbadges.hashing import normalise_email
from wallet.security import hash_password
from wallet.services import audit
from wallet.services.accounts import (
    AccountExistsError,
    attach_email,
    clean_name,
    find_user_by_email,
)
from wallet.services.csv_import import is_valid_email
from wallet.services.errors import ValidationError
from wallet.services.passwords import check_password


def create_staff_user(
    session: Session,
    email: str,
    name: str,
    password: str,
    *,
    locale: str = "ja",
    now: datetime | None = None,
    check_policy: bool = True,
    is_audited: bool = False,
) -> User:
    """An activated staff account; ``AccountExistsError`` if the address is taken.

    ``is_audited`` (the ``create-staff`` command) writes the audit log entry; the
    command line has no signed-in actor, so the entry has none.
    """
    now = now or utcnow()
    email = normalise_email(email)
    if not is_valid_email(email):
        raise ValidationError(field="email")
    if find_user_by_email(session, email) is not None:
        raise AccountExistsError(field="email")
    if check_policy:
        check_password(password, email)
    user = User(
        email=email,
        name=clean_name(name),
        password_hash=hash_password(password),
        is_staff=True,
        locale=locale,
        activated_at=now,
        created_at=now,
    )
    session.add(user)
    session.flush()
    attach_email(session, user, email, now)
    if is_audited:
        audit.record(session, None, "staff.create", user, {"email": email, "name": user.name})
    return user
