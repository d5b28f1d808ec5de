from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wallet.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from wallet.models.issuing import Award, Department


class StaffRole(enum.StrEnum):
    """What a programme-office account may reach under ``/admin`` (docs/issuing.md)."""

    ADMIN = "admin"  # the university's administrators: everything
    DEPARTMENT = "department"  # department staff: their departments' badges and awards


class User(Base):
    """A wallet account (student) or programme-office account (``staff_role`` set)."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # None for students; department staff see their ``departments`` only
    staff_role: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8), default="ja")
    terms_version: Mapped[str | None] = mapped_column(String(32))
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the public profile /u/<profile_id>: off until the student turns it on; the id is
    # random (never the user id) and drawn the first time it is turned on
    profile_id: Mapped[str | None] = mapped_column(String(16), unique=True)
    is_profile_public: Mapped[bool] = mapped_column(Boolean, default=False)
    # "Later" on the wallet's graduation prompt: it stays away until the next term
    graduation_prompt_postponed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # an administrator turned the (staff) account off: it cannot log in any more
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    emails: Mapped[list[EmailAddress]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="EmailAddress.id"
    )
    awards: Mapped[list[Award]] = relationship(back_populates="user")
    departments: Mapped[list[Department]] = relationship(
        secondary="staff_department", back_populates="staff", order_by="Department.id"
    )

    @property
    def is_activated(self) -> bool:
        return self.activated_at is not None

    @property
    def is_staff(self) -> bool:
        """A programme-office account, of either role."""
        return self.staff_role is not None

    @property
    def is_admin(self) -> bool:
        """A university administrator: every department, and the office's settings."""
        return self.staff_role == StaffRole.ADMIN

    @property
    def is_deactivated(self) -> bool:
        return self.deactivated_at is not None

    # the protocol flask-login expects, without importing it here
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.is_activated and not self.is_deactivated

    def get_id(self) -> str:
        """Not what the cookie holds: logging in stores the key of a ``LoginSession``."""
        return str(self.id)

    @property
    def verified_emails(self) -> list[str]:
        return [e.email for e in self.emails if e.verified_at is not None]


class EmailAddress(Base):
    """An address proven to belong to a user; awards to it reach the wallet."""

    __tablename__ = "email_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="emails")


class TokenPurpose(enum.StrEnum):
    CLAIM = "claim"
    ACTIVATE = "activate"
    RESET = "reset"
    ADD_EMAIL = "add_email"
    UNDO_ADD_EMAIL = "undo_add_email"  # "not me": takes back an address a claim link added


class Token(Base):
    """A random secret sent by mail. Only its SHA-256 is stored."""

    __tablename__ = "token"
    __table_args__ = (Index("ix_token_purpose_award", "purpose", "award_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    award_id: Mapped[int | None] = mapped_column(ForeignKey("award.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at
