"""Programme office accounts: university administrators and department staff.

There is no sign-up: an account is made on the server (``flask create-staff``)
or invited by an administrator, who also changes its role and departments and
turns it off. Every change goes in the audit log, in the transaction that made
it. The rules, whoever asks:

- an administrator (``admin``) has no departments: they see all of them;
- department staff (``department``) work for at least one department;
- nobody changes their own role or turns their own account off, so there is
  always an administrator left who can undo a mistake.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet import urls
from wallet.db import utcnow
from wallet.models import AuditEntry, Department, StaffRole, Token, TokenPurpose, User
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
from wallet.services.errors import NotFoundError, ValidationError
from wallet.services.issuing import get_issuer
from wallet.services.login_sessions import end_all_sessions
from wallet.services.outbox import queue_mail
from wallet.services.passwords import check_password
from wallet.services.tokens import issue_token

ROLES = tuple(role.value for role in StaffRole)
# the invitation's link sets the first password; a week, since it may wait over a weekend
INVITATION_LIFETIME = timedelta(days=7)
INVITATION = "staff_invitation"  # templates/mail/staff_invitation/


class StaffError(ValidationError):
    """An account change the administrator can fix; ``code`` says what."""


@dataclass(frozen=True)
class StaffAccess:
    """What an account may reach: its role, and for department staff their departments."""

    role: str
    department_ids: tuple[int, ...] = ()


def _departments(session: Session, access: StaffAccess) -> list[Department]:
    """The departments of ``access``, checked against its role."""
    if access.role not in ROLES:
        raise StaffError("bad_role", field="role")
    departments = []
    for department_id in dict.fromkeys(access.department_ids):
        department = session.get(Department, department_id)
        if department is None:
            raise StaffError("department_unknown", field="departments", reference=department_id)
        departments.append(department)
    if access.role == StaffRole.ADMIN and departments:
        raise StaffError("admin_departments", field="departments")
    if access.role == StaffRole.DEPARTMENT and not departments:
        raise StaffError("departments_missing", field="departments")
    return departments


def _access_details(role: str | None, departments: Iterable[Department]) -> dict[str, object]:
    return {
        "role": role,
        "departments": [{"id": d.id, "name": d.name} for d in departments],
    }


def _require_admin(actor: audit.Actor) -> None:
    """Only administrators (or the command line) manage accounts; to anyone else the
    accounts do not exist, as the pages that show them do not."""
    if isinstance(actor, User) and not actor.is_admin:
        raise NotFoundError()


def _new_account(
    session: Session,
    email: str,
    name: str,
    password: str,
    access: StaffAccess,
    *,
    locale: str,
    now: datetime,
    check_policy: bool,
) -> tuple[User, list[Department]]:
    email = normalise_email(email)
    if not is_valid_email(email):
        raise ValidationError(field="email")
    departments = _departments(session, access)
    if find_user_by_email(session, email) is not None:
        raise AccountExistsError(field="email")
    if check_policy:
        check_password(password, email)
    user = User(
        email=email,
        name=clean_name(name),
        password_hash=hash_password(password),
        staff_role=access.role,
        locale=locale,
        activated_at=now,
        created_at=now,
    )
    user.departments = departments
    session.add(user)
    session.flush()
    attach_email(session, user, email, now)
    return user, departments


def create_staff_user(
    session: Session,
    email: str,
    name: str,
    password: str,
    *,
    access: StaffAccess,
    locale: str = "ja",
    now: datetime | None = None,
    check_policy: bool = True,
    actor: audit.Actor | None = None,
) -> User:
    """An activated staff account with a password; ``AccountExistsError`` if the
    address is taken, ``StaffError`` for a role and departments that do not fit.

    With ``actor`` (``audit.COMMAND_LINE`` for ``flask create-staff``) it goes in
    the audit log; the password never does.
    """
    now = now or utcnow()
    if actor is not None:
        _require_admin(actor)
    user, departments = _new_account(
        session, email, name, password, access, locale=locale, now=now, check_policy=check_policy
    )
    if actor is not None:
        details = {"email": user.email, "name": user.name}
        audit.record(
            session,
            actor,
            "staff.create",
            user,
            details | _access_details(user.staff_role, departments),
        )
    return user


def invite_staff_member(
    session: Session,
    email: str,
    name: str,
    *,
    access: StaffAccess,
    locale: str,
    base_url: str,
    actor: User,
    now: datetime | None = None,
) -> User:
    """A staff account made by an administrator, and the invitation mail that lets its
    owner choose the password (a password-reset link, good for ``INVITATION_LIFETIME``).

    Until then the account has a random password nobody knows. The mail goes in the
    outbox in this transaction; the invitation goes in the audit log.
    """
    now = now or utcnow()
    _require_admin(actor)
    user, departments = _new_account(
        session,
        email,
        name,
        secrets.token_urlsafe(32),
        access,
        locale=locale,
        now=now,
        check_policy=False,
    )
    _mail_invitation(session, user, departments, base_url=base_url, actor=actor, now=now)
    details = {"email": user.email, "name": user.name}
    audit.record(
        session,
        actor,
        "staff.invite",
        user,
        details | _access_details(user.staff_role, departments),
    )
    return user


def _mail_invitation(
    session: Session,
    user: User,
    departments: Iterable[Department],
    *,
    base_url: str,
    actor: User,
    now: datetime,
) -> None:
    """A set-password link for ``user`` (good for ``INVITATION_LIFETIME``), in the outbox."""
    raw = issue_token(
        session,
        purpose=TokenPurpose.RESET,
        email=user.email,
        lifetime=INVITATION_LIFETIME,
        user_id=user.id,
        now=now,
    )
    issuer = get_issuer(session)
    queue_mail(
        session,
        template=INVITATION,
        to_email=user.email,
        locale=user.locale,
        context={
            "recipient_name": user.name,
            "email": user.email,
            "inviter_name": actor.name,
            "issuer_name": issuer.name if issuer else "",
            "issuer_name_en": issuer.name_en if issuer else "",
            "role": user.staff_role,
            "departments": [{"name": d.name, "name_en": d.name_en} for d in departments],
            "set_password_url": urls.password_reset(base_url, raw),
            "office_url": urls.office(base_url),
            "days": INVITATION_LIFETIME.days,
        },
    )


def pending_invitations(session: Session, user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` invited by an administrator who have used no set-password
    link since: their owners have not chosen a password yet."""
    ids = list(user_ids)
    if not ids:
        return set()
    invited = set(
        session.scalars(
            select(AuditEntry.target_id).where(
                AuditEntry.action == "staff.invite", AuditEntry.target_id.in_(ids)
            )
        )
    )
    spent = set(
        session.scalars(
            select(Token.user_id).where(
                Token.user_id.in_(ids),
                Token.purpose == TokenPurpose.RESET,
                Token.used_at.is_not(None),
            )
        )
    )
    return {user_id for user_id in invited - spent if user_id is not None}


def invitation_pending(session: Session, user: User) -> bool:
    return user.id in pending_invitations(session, [user.id])


def resend_invitation(
    session: Session, user_id: int, *, base_url: str, actor: User, now: datetime | None = None
) -> User:
    """The invitation mailed again with a new link (the earlier links stop working), for
    an account whose owner has not chosen a password yet; audited. ``StaffError``
    ("invitation_used", "invitation_off") otherwise."""
    now = now or utcnow()
    _require_admin(actor)
    user = get_staff_member(session, user_id)
    if user.is_deactivated:
        raise StaffError("invitation_off")
    if not invitation_pending(session, user):
        raise StaffError("invitation_used")
    earlier = select(Token).where(
        Token.user_id == user.id,
        Token.purpose == TokenPurpose.RESET,
        Token.expires_at > now,
    )
    for token in session.scalars(earlier):
        token.expires_at = now
    _mail_invitation(session, user, user.departments, base_url=base_url, actor=actor, now=now)
    audit.record(session, actor, "staff.reinvite", user, {"email": user.email})
    return user


def list_staff(session: Session) -> list[User]:
    """Every programme-office account: active ones first, then by name."""
    return list(
        session.scalars(
            select(User)
            .where(User.staff_role.is_not(None))
            .order_by(User.deactivated_at.is_not(None), User.name, User.id)
        )
    )


def get_staff_member(session: Session, user_id: int) -> User:
    """A programme-office account; ``NotFoundError`` for a student's or none."""
    user = session.get(User, user_id)
    if user is None or not user.is_staff:
        raise NotFoundError()
    return user


def change_staff_access(
    session: Session, user_id: int, access: StaffAccess, *, actor: User
) -> User:
    """A new role and departments for an account; the change (before and after) goes
    in the audit log. ``StaffError("own_access")`` for the administrator's own."""
    _require_admin(actor)
    user = get_staff_member(session, user_id)
    departments = _departments(session, access)
    before = _access_details(user.staff_role, user.departments)
    after = _access_details(access.role, departments)
    if before == after:
        return user
    if user.id == actor.id:
        raise StaffError("own_access", field="role")
    user.staff_role = access.role
    user.departments = departments
    session.flush()
    audit.record(
        session,
        actor,
        "staff.access",
        user,
        {"email": user.email, "before": before, "after": after},
    )
    return user


def deactivate_staff_member(
    session: Session, user_id: int, *, actor: User, now: datetime | None = None
) -> User:
    """Turn an account off: it cannot log in, and its open logins end at once.

    Nothing of it is deleted (the audit log and the uploads keep naming it); it can
    be turned on again. ``StaffError("own_account")`` for the administrator's own.
    """
    now = now or utcnow()
    _require_admin(actor)
    user = get_staff_member(session, user_id)
    if user.id == actor.id:
        raise StaffError("own_account")
    if user.is_deactivated:
        return user
    user.deactivated_at = now
    end_all_sessions(session, user, now)
    audit.record(session, actor, "staff.deactivate", user, {"email": user.email})
    return user


def reactivate_staff_member(session: Session, user_id: int, *, actor: User) -> User:
    """Turn an account on again, with the role and departments it had."""
    _require_admin(actor)
    user = get_staff_member(session, user_id)
    if not user.is_deactivated:
        return user
    user.deactivated_at = None
    session.flush()
    audit.record(session, actor, "staff.reactivate", user, {"email": user.email})
    return user
