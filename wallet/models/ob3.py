"""Open Badges 3.0: each issuer's signing keys (public halves) and each award's credential.

The private keys never reach the database: they are derived from the settings
(``WALLET_CREDENTIAL_KEY``) per issuer. A key row is the public key as published in the
issuer's 3.0 profile, with the period in which it signs; rotating closes the old period
and keeps the key listed, so credentials signed before keep verifying.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wallet.db import Base, UTCDateTime, utcnow


class CredentialKey(Base):
    __tablename__ = "credential_key"
    __table_args__ = (UniqueConstraint("issuer_id", "public_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuer.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))  # Multikey, z6Mk…
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AwardCredential(Base):
    """An award's signed OpenBadgeCredential, as issued: the JSON (with its Data Integrity
    proof) and the VC-JWT, kept as text so they are served byte for byte. ``status_list``
    and ``status_index`` are its bit in the issuer's status lists, allocated once."""

    __tablename__ = "award_credential"
    __table_args__ = (UniqueConstraint("status_list", "status_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="CASCADE"), unique=True)
    status_list: Mapped[int] = mapped_column()
    status_index: Mapped[int] = mapped_column()
    document: Mapped[str] = mapped_column(Text)
    jwt: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
