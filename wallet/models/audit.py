from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wallet.db import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """One staff action, written in the transaction that did it; never changed after.

    ``actor_email`` is copied in so the row still says who once the account is gone
    (``actor_id`` is a plain number, not a foreign key). ``details`` holds plain
    values of what changed, never a password or a token. On PostgreSQL a trigger
    refuses UPDATE and DELETE. ``actor_id`` NULL: the command line.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # no foreign key: deleting the account must not touch (update) this row
    actor_id: Mapped[int | None] = mapped_column()
    actor_email: Mapped[str] = mapped_column(String(320), default="")
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[int | None] = mapped_column()
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
