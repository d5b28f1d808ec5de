"""The audit log: who on the programme office did what, and when.

``record`` adds one row in the caller's transaction, so the entry commits or
rolls back with the action it describes. Rows are only ever added: nothing here
(or anywhere) updates or deletes them, and on PostgreSQL a trigger refuses to.

The actor is a signed-in staff member, or ``COMMAND_LINE`` for a ``flask``
command run on the server (``create-staff``, ``outbox retry``): whoever has a
shell there has no account to name, so the entry has no actor id or email and
the page shows "(command line)".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet.db import utcnow
from wallet.models import AuditEntry, User

ACTIONS = (
    "award.issue",
    "award.resend",
    "award.revoke",
    "badge_class.create",
    "badge_class.edit",
    "issuer.edit",
    "department.create",
    "department.rename",
    "mail.requeue",
    "staff.access",
    "staff.create",
    "staff.deactivate",
    "staff.invite",
    "staff.reactivate",
    "staff.reinvite",
)
# never copied into details, whatever a caller passes
SECRET_KEYS = frozenset({"password", "password_hash", "token", "token_hash", "secret"})
PER_PAGE = 50


class CommandLine:
    """The actor of a ``flask`` command (no account: someone with a shell on the server)."""

    def __repr__(self) -> str:
        return "COMMAND_LINE"


COMMAND_LINE = CommandLine()
Actor = User | CommandLine


class Target(Protocol):
    """Anything with an id; its table names the target type."""

    __tablename__: str

    @property
    def id(self) -> int: ...


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: Target | None,
    details: dict[str, object] | None = None,
) -> AuditEntry:
    """Add the entry for ``action`` by ``actor`` (a staff member, or ``COMMAND_LINE``)
    on ``target``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    staff = actor if isinstance(actor, User) else None
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=staff.id if staff else None,
        actor_email=staff.email if staff else "",
        action=action,
        target_type=target.__tablename__ if target is not None else "",
        target_id=target.id if target is not None else None,
        details={k: v for k, v in (details or {}).items() if k not in SECRET_KEYS},
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    page: int
    pages: int
    total: int


def list_entries(session: Session, *, page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    """One page of the log, newest first."""
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    entries = session.scalars(
        select(AuditEntry)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return AuditPage(list(entries), page, pages, total)


def all_entries(session: Session) -> list[AuditEntry]:
    """The whole log, newest first, for the CSV."""
    return list(
        session.scalars(
            select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        )
    )
