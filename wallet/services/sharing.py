"""What a badge shows the world: the share page, its images, the public profile.

The visibility rule (DESIGN.md): a private badge is "not found" on every public
surface for everyone but its owner, exactly like a share id that never existed.
Only accepted badges (pending or issued, revoked ones included, so a verifier
sees the revocation) have a public face; offered and declined ones never do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from wallet.models import Award, AwardState, BadgeClass, User
from wallet.services import verifying
from wallet.services.errors import NotFoundError
from wallet.services.verifying import Verdict, VerdictCache

SHOWN_STATES = (AwardState.PENDING, AwardState.ISSUED)


def find_shared_award(session: Session, share_id: str, viewer: User | None) -> Award:
    """The award behind ``/b/<share_id>`` as ``viewer`` (None: a stranger) may see it.

    ``NotFoundError`` for an unknown id, a badge that was never accepted, or a
    private one seen by anyone but its owner.
    """
    if not share_id or len(share_id) > 16:
        raise NotFoundError()
    award = session.scalar(
        select(Award)
        .options(joinedload(Award.badge_class).joinedload(BadgeClass.issuer))
        .where(Award.share_id == share_id)
    )
    if award is None or award.state not in SHOWN_STATES or award.user_id is None:
        raise NotFoundError()
    if not award.is_public and (viewer is None or viewer.id != award.user_id):
        raise NotFoundError()
    return award


# -- the share page ------------------------------------------------------------------


@dataclass(frozen=True)
class SharedBadge:
    """What ``/b/<share_id>`` shows: the badge, the verdict on it, and whose view it is."""

    award: Award
    verdict: Verdict
    is_owner: bool

    @property
    def is_private(self) -> bool:
        return not self.award.is_public


def share_page(
    session: Session,
    share_id: str,
    viewer: User | None,
    *,
    base_url: str,
    timezone: str,
    now: datetime,
    verdicts: VerdictCache | None = None,
) -> SharedBadge:
    """The shared badge as ``viewer`` may see it (``NotFoundError`` as in
    ``find_shared_award``), verified from its hosted documents (``verdicts`` keeps
    recent verdicts; see ``verifying.VerdictCache``)."""
    award = find_shared_award(session, share_id, viewer)
    verdict = verifying.verify_award(
        session, award, base_url=base_url, timezone=timezone, now=now, cache=verdicts
    )
    return SharedBadge(award, verdict, is_owner=viewer is not None and viewer.id == award.user_id)


def _digest(*parts: object) -> str:
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _badge_facts(award: Award) -> tuple[object, ...]:
    badge = award.badge_class
    issuer = badge.issuer
    return (
        award.share_id,
        award.public_id,
        award.state,
        award.is_public,
        award.recipient_name,
        award.issued_on,
        award.issued_at,
        award.accepted_at,
        award.expires_at,
        award.revoked_at,
        award.revocation_reason,
        badge.name,
        badge.name_en,
        badge.description,
        badge.description_en,
        badge.criteria_text,
        badge.criteria_url,
        badge.image_sha256,
        issuer.name,
        issuer.name_en,
        issuer.url,
    )


# Bump when the share page or profile template changes what it shows, so caches
# holding the old page by its ETag fetch the new one.
PAGE_VERSION = "1"


def share_page_etag(shared: SharedBadge, locale: str) -> str:
    """An ETag over everything the page shows a stranger, except when it was checked:
    the badge and its texts, the verdict (``Verdict.fingerprint``) and the language.
    A conditional GET with it can be answered 304 without drawing the page."""
    return _digest(
        "share", PAGE_VERSION, locale, shared.verdict.fingerprint(), *_badge_facts(shared.award)
    )
