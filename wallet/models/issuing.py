from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wallet.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from wallet.models.accounts import User


class Issuer(Base):
    """The awarding organisation (OB 2.0 Issuer Profile)."""

    __tablename__ = "issuer"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500))
    email: Mapped[str] = mapped_column(String(320))
    description: Mapped[str] = mapped_column(Text, default="")
    image_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    # LinkedIn's company id: "Add to profile" then shows the university's logo
    linkedin_organization_id: Mapped[str] = mapped_column(String(32), default="")
    # the university's mail domains (IDNA ASCII form); an address at one of them, or at a
    # subdomain, stops working at graduation (services/graduation.py)
    mail_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    badge_classes: Mapped[list[BadgeClass]] = relationship(back_populates="issuer")
    departments: Mapped[list[Department]] = relationship(
        back_populates="issuer", order_by="Department.id"
    )


# Which departments a department staff member works for (administrators need none).
staff_department = Table(
    "staff_department",
    Base.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("department.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_staff_department_department_id", "department_id"),
)


class Department(Base):
    """A faculty, graduate school or centre of the issuer (学部・研究科等).

    Every badge class belongs to one; department staff see the badge classes,
    completers lists and awards of their departments only.
    """

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("issuer_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuer.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    issuer: Mapped[Issuer] = relationship(back_populates="departments")
    badge_classes: Mapped[list[BadgeClass]] = relationship(back_populates="department")
    staff: Mapped[list[User]] = relationship(
        secondary=staff_department, back_populates="departments", order_by="User.id"
    )


class BadgeKind(enum.StrEnum):
    HOSTED = "hosted"
    ANCHORED = "anchored"


class BadgeClass(Base):
    """What a badge stands for (OB 2.0 BadgeClass)."""

    __tablename__ = "badge_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuer.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text, default="")
    criteria_text: Mapped[str] = mapped_column(Text, default="")
    criteria_url: Mapped[str] = mapped_column(String(500), default="")
    image_sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    kind: Mapped[str] = mapped_column(String(16), default=BadgeKind.HOSTED)
    valid_days: Mapped[int | None] = mapped_column()
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    issuer: Mapped[Issuer] = relationship(back_populates="badge_classes")
    department: Mapped[Department] = relationship(back_populates="badge_classes")
    awards: Mapped[list[Award]] = relationship(back_populates="badge_class")

    @property
    def is_anchored(self) -> bool:
        return self.kind == BadgeKind.ANCHORED


class AwardBatch(Base):
    """One confirmed upload of a completers list."""

    __tablename__ = "award_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_class_id: Mapped[int] = mapped_column(ForeignKey("badge_class.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    created_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AwardState(enum.StrEnum):
    OFFERED = "offered"
    PENDING = "pending"  # accepted, anchored, waiting for the daily run
    ISSUED = "issued"
    DECLINED = "declined"


def _search_index(column: str) -> Index:
    return Index(
        f"ix_award_{column}_search",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    )


class Award(Base):
    """One badge for one recipient (an OB 2.0 Assertion once published).

    Revocation is orthogonal to the state: ``revoked_at`` keeps the state it had.
    """

    __tablename__ = "award"
    __table_args__ = (
        UniqueConstraint("badge_class_id", "recipient_email"),
        # The office's award search (``services.issuing.search``): newest first, keyset
        # pages on (issued_on, id), alone or within one badge class.
        Index("ix_award_issued_on_id", "issued_on", "id"),
        Index("ix_award_badge_class_issued_on", "badge_class_id", "issued_on", "id"),
        Index("ix_award_revoked_at", "revoked_at"),  # the few revoked among many
        # Substring search on name, address and student number: trigram GIN indexes on
        # PostgreSQL (``ILIKE '%…%'`` uses them), plain ones elsewhere (where the
        # address's repeats ``ix_award_recipient_email``: Alembic's comparison cannot
        # tell an index meant for one dialect only).
        _search_index("recipient_name"),
        _search_index("recipient_email"),
        _search_index("student_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # >= 128 bits
    share_id: Mapped[str] = mapped_column(String(16), unique=True)  # short, for QR codes
    badge_class_id: Mapped[int] = mapped_column(ForeignKey("badge_class.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("award_batch.id"), index=True)
    recipient_email: Mapped[str] = mapped_column(String(320), index=True)
    recipient_name: Mapped[str] = mapped_column(String(200))
    student_number: Mapped[str] = mapped_column(String(64), default="")
    salt: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="ja")
    state: Mapped[str] = mapped_column(String(16), default=AwardState.OFFERED, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_on: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str] = mapped_column(Text, default="")
    # claim reminders (services/reminders.py): how many were queued, the last one when;
    # written in the transaction that queues the reminder, so none goes twice
    reminders_sent: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    badge_class: Mapped[BadgeClass] = relationship(back_populates="awards")
    user: Mapped[User | None] = relationship(back_populates="awards")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_pending(self) -> bool:
        return self.state == AwardState.PENDING

    @property
    def is_offered(self) -> bool:
        return self.state == AwardState.OFFERED

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


# The trigram operator class the search indexes use; the migration creates it too.
# (``create_all`` builds the tests' PostgreSQL schema without the migrations.)
event.listen(
    Award.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
)
