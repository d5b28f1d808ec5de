from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wallet.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from wallet.models.accounts import User


class ImportSource(enum.StrEnum):
    URL = "url"  # a hosted assertion's address, pasted
    PNG = "png"  # a baked image, uploaded
    SVG = "svg"


class ImportedBadge(Base):
    """A badge from another issuer that a student put in their wallet.

    It was verified when imported, and its recipient was one of the student's
    verified addresses (``recipient_email``). The documents are kept as received;
    the names and dates below are read from them for lists and pages. ``status``
    is the verdict of the last check (``services.verifying.VerdictStatus``), which
    the re-verification job refreshes; ``checks`` holds its lines.

    ``share_id`` lives in the same namespace as ``Award.share_id``: ``/b/<share_id>``
    opens either.
    """

    __tablename__ = "imported_badge"
    __table_args__ = (UniqueConstraint("user_id", "assertion_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    share_id: Mapped[str] = mapped_column(String(16), unique=True)
    # SHA-256 of the assertion's id: one import per assertion per student
    assertion_key: Mapped[str] = mapped_column(String(64))
    assertion_id: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8))
    source_url: Mapped[str] = mapped_column(Text, default="")
    # an uploaded image, byte for byte as received
    source_image_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    # a signed badge's compact JWS, as received
    signed_jws: Mapped[str] = mapped_column(Text, default="")
    assertion_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    badge_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    issuer_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    recipient_email: Mapped[str] = mapped_column(String(320))
    issuer_name: Mapped[str] = mapped_column(String(200))
    issuer_url: Mapped[str] = mapped_column(Text, default="")
    badge_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    criteria_url: Mapped[str] = mapped_column(Text, default="")
    criteria_text: Mapped[str] = mapped_column(Text, default="")
    # the badge class image, checked and stored like our own (None: it had none we show)
    image_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    issued_on: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    checks: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    revocation_reason: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.status == "revoked"

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now
