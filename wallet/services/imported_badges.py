"""Imported badges once in the wallet: the student's list and controls (public or
private, remove), and what strangers see (the share page ``/b/<share_id>``, the
profile entry). Importing and checking again: ``services/importing.py``.

The visibility rule is the awards' (``services/sharing.py``): a private imported
badge is "not found" for everyone but its owner, like an id that never existed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet.models import ImportedBadge, User
from wallet.services.errors import NotFoundError
from wallet.services.importing import stored_verdict
from wallet.services.verifying import Verdict

# raise when the imported badge's share page changes what it shows (its ETag)
PAGE_VERSION = "1"


# -- the student's imported badges ------------------------------------------------------


def imported_badges(session: Session, user: User) -> list[ImportedBadge]:
    """``user``'s imported badges, newest import first."""
    return list(
        session.scalars(
            select(ImportedBadge)
            .where(ImportedBadge.user_id == user.id)
            .order_by(ImportedBadge.created_at.desc(), ImportedBadge.id.desc())
        )
    )


def get_imported_badge(session: Session, user: User, imported_id: int) -> ImportedBadge:
    """One of ``user``'s imported badges; ``NotFoundError`` for anyone else's."""
    imported = session.scalar(
        select(ImportedBadge).where(
            ImportedBadge.id == imported_id, ImportedBadge.user_id == user.id
        )
    )
    if imported is None:
        raise NotFoundError()
    return imported


def set_import_visibility(
    session: Session, user: User, imported_id: int, public: bool
) -> ImportedBadge:
    """Make one of ``user``'s imported badges public or private (at once, everywhere)."""
    imported = get_imported_badge(session, user, imported_id)
    imported.is_public = public
    session.flush()
    return imported


def delete_imported_badge(session: Session, user: User, imported_id: int) -> None:
    """Remove an imported badge from ``user``'s wallet: its share page, QR code and
    profile entry are "not found" from now on. The issuer's badge is untouched."""
    session.delete(get_imported_badge(session, user, imported_id))
    session.flush()


# -- what strangers see -----------------------------------------------------------------


@dataclass(frozen=True)
class SharedImport:
    """What ``/b/<share_id>`` shows for an imported badge: the verdict of its last check."""

    imported: ImportedBadge
    verdict: Verdict
    is_owner: bool

    @property
    def is_private(self) -> bool:
        return not self.imported.is_public


def find_shared_import(session: Session, share_id: str, viewer: User | None) -> ImportedBadge:
    """The imported badge behind ``/b/<share_id>`` as ``viewer`` may see it:
    ``NotFoundError`` for an unknown id, and for a private one seen by anyone but its
    owner (the same rule as awards, ``sharing.find_shared_award``)."""
    if not share_id or len(share_id) > 16:
        raise NotFoundError()
    imported = session.scalar(select(ImportedBadge).where(ImportedBadge.share_id == share_id))
    if imported is None or not imported.user.is_active:
        raise NotFoundError()
    if not imported.is_public and (viewer is None or viewer.id != imported.user_id):
        raise NotFoundError()
    return imported


def shared_import(session: Session, share_id: str, viewer: User | None) -> SharedImport:
    imported = find_shared_import(session, share_id, viewer)
    return SharedImport(
        imported,
        stored_verdict(imported),
        is_owner=viewer is not None and viewer.id == imported.user_id,
    )


def shared_import_etag(shared: SharedImport, locale: str) -> str:
    """An ETag over what the page shows a stranger (the badge, its holder's name, the
    verdict and when it was reached: a re-check changes the page)."""
    imported = shared.imported
    facts = [
        "import",
        PAGE_VERSION,
        locale,
        imported.share_id,
        imported.is_public,
        imported.user.name,
        imported.badge_name,
        imported.issuer_name,
        imported.issuer_url,
        imported.description,
        imported.criteria_text,
        imported.criteria_url,
        imported.image_sha256,
        imported.issued_on.isoformat(),
        imported.expires_at.isoformat() if imported.expires_at else "",
        shared.verdict.fingerprint(),
        shared.verdict.checked_at.isoformat(),
    ]
    text = "\x1f".join(str(fact) for fact in facts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def public_imports(session: Session, user: User) -> list[ImportedBadge]:
    """``user``'s public imported badges not known to be revoked, for their profile."""
    return list(
        session.scalars(
            select(ImportedBadge)
            .where(
                ImportedBadge.user_id == user.id,
                ImportedBadge.is_public.is_(True),
                ImportedBadge.status != "revoked",
            )
            .order_by(ImportedBadge.issued_on.desc(), ImportedBadge.id.desc())
        )
    )
