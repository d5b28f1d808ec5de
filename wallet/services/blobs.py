"""Content-addressed storage for images (database today; an object store can plug in)."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from wallet.models import BadgeClass, Blob, ImportedBadge, Issuer, RenderedImage
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


def delete_unused_blobs(session: Session, digests: set[str]) -> int:
    """Delete those of ``digests`` nothing refers to any more (an image that was only
    one student's upload); returns how many went. Shared images stay."""
    if not digests:
        return 0
    session.flush()
    used = or_(
        exists().where(BadgeClass.image_sha256 == Blob.sha256),
        exists().where(Issuer.image_sha256 == Blob.sha256),
        exists().where(RenderedImage.blob_sha256 == Blob.sha256),
        exists().where(ImportedBadge.image_sha256 == Blob.sha256),
        exists().where(ImportedBadge.source_image_sha256 == Blob.sha256),
    )
    unused = select(Blob.sha256).where(Blob.sha256.in_(digests), ~used)
    gone = list(session.scalars(unused))
    if gone:
        session.execute(
            delete(Blob).where(Blob.sha256.in_(gone)).execution_options(synchronize_session=False)
        )
    return len(gone)
