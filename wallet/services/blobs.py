"""Content-addressed storage for images (database today; an object store can plug in)."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from wallet.models import Blob
from wallet.services.errors import NotFoundError


def put_blob(session: Session, data: bytes, content_type: str) -> Blob:
    """Store ``data`` once under its SHA-256; storing it again returns the same row."""
    digest = hashlib.sha256(data).hexdigest()
    blob = session.get(Blob, digest)
    if blob is None:
        blob = Blob(sha256=digest, content_type=content_type, data=data)
        session.add(blob)
        session.flush()
    return blob


def get_blob(session: Session, sha256: str) -> Blob:
    if len(sha256) != 64:
        raise NotFoundError()
    blob = session.get(Blob, sha256.lower())
    if blob is None:
        raise NotFoundError()
    return blob
