from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from wallet.db import Base, UTCDateTime, utcnow


class Blob(Base):
    """Image bytes stored by content hash, so no web node keeps files on disk."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RenderedImage(Base):
    """An image the wallet draws (share preview, QR code, signature badge), drawn once.

    ``key`` is a hash of everything the drawing depends on (what it shows, the
    language, the renderer's version), so a change draws a new one and the same
    content is never drawn twice, whichever node asks.
    """

    __tablename__ = "rendered_image"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
