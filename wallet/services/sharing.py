"""What a badge shows the world: the share page, its images, the public profile.

The visibility rule (DESIGN.md): a private badge is "not found" on every public
surface for everyone but its owner, exactly like a share id that never existed.
Only accepted badges (pending or issued, revoked ones included, so a verifier
sees the revocation) have a public face; offered and declined ones never do.
Their owner switches them public or private (``set_visibility``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from wallet.models import Award, AwardState, BadgeClass, ImportedBadge, User
from wallet.services import imported_badges, verifying
from wallet.services.badges import ANCHORING_TIME
from wallet.services.errors import NotFoundError
from wallet.services.verifying import Verdict, VerdictCache

SHOWN_STATES = (AwardState.PENDING, AwardState.ISSUED)
# what secrets.token_urlsafe gives; anything else (a NUL byte, which PostgreSQL refuses
# in a query) cannot be a share id and is not looked up
SHARE_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")


def find_shared_award(session: Session, share_id: str, viewer: User | None) -> Award:
    """The award behind ``/b/<share_id>`` as ``viewer`` (None: a stranger) may see it.

    ``NotFoundError`` for an unknown id, a badge that was never accepted, or a
    private one seen by anyone but its owner.
    """
    if not SHARE_ID.fullmatch(share_id):
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


def get_owned_award(session: Session, user: User, award_id: int) -> Award:
    """One of ``user``'s accepted badges (pending or issued, revoked ones included).

    ``NotFoundError`` for anyone else's badge, and for offered or declined ones:
    they have no public face to control.
    """
    award = session.scalar(
        select(Award)
        .options(joinedload(Award.badge_class).joinedload(BadgeClass.issuer))
        .where(Award.id == award_id, Award.user_id == user.id)
    )
    if award is None or award.state not in SHOWN_STATES:
        raise NotFoundError()
    return award


def get_shareable_award(session: Session, user: User, award_id: int) -> Award:
    """Like ``get_owned_award``, minus revoked badges: nothing of theirs is to be shared
    any more (their share page still tells verifiers of the revocation)."""
    award = get_owned_award(session, user, award_id)
    if award.is_revoked:
        raise NotFoundError()
    return award


def set_visibility(session: Session, user: User, award_id: int, public: bool) -> Award:
    """Make one of ``user``'s badges public or private.

    Private takes effect at once on every public surface (share page, images, profile,
    LinkedIn redirect); the hosted Open Badges assertion stays, so baked files already
    handed out keep verifying. Someone else's badge: ``NotFoundError``.
    """
    award = get_owned_award(session, user, award_id)
    award.is_public = public
    session.flush()
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
    run_time: str = ANCHORING_TIME,
) -> SharedBadge:
    """The shared badge as ``viewer`` may see it (``NotFoundError`` as in
    ``find_shared_award``), verified from its hosted documents (``verdicts`` keeps
    recent verdicts; see ``verifying.VerdictCache``)."""
    award = find_shared_award(session, share_id, viewer)
    verdict = verifying.verify_award(
        session,
        award,
        base_url=base_url,
        timezone=timezone,
        now=now,
        cache=verdicts,
        run_time=run_time,
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
PAGE_VERSION = "3"


def share_page_etag(shared: SharedBadge, locale: str) -> str:
    """An ETag over everything the page shows a stranger, except when it was checked:
    the badge and its texts, the verdict (``Verdict.fingerprint``) and the language.
    A conditional GET with it can be answered 304 without drawing the page."""
    return _digest(
        "share", PAGE_VERSION, locale, shared.verdict.fingerprint(), *_badge_facts(shared.award)
    )


# -- the public profile ----------------------------------------------------------------

PROFILE_ID_BYTES = 9  # 12 URL-safe characters, 72 random bits


@dataclass(frozen=True)
class PublicProfile:
    """What ``/u/<profile_id>`` shows: a student's public badges, newest first, then
    the public badges they imported from other issuers."""

    user: User
    awards: list[Award]
    is_owner: bool
    imported: list[ImportedBadge] = field(default_factory=list)


def set_profile_public(session: Session, user: User, public: bool) -> User:
    """Turn ``user``'s public profile on or off.

    The first time it is turned on it gets a random id (never the user id), kept
    afterwards so a link handed out works again when it is turned back on. Off,
    ``/u/<id>`` is "not found" like an id that never existed.
    """
    if public and user.profile_id is None:
        user.profile_id = _new_profile_id(session, user)
    user.is_profile_public = public
    session.flush()
    return user


def _new_profile_id(session: Session, user: User) -> str:
    while True:
        candidate = secrets.token_urlsafe(PROFILE_ID_BYTES)
        taken = session.scalar(select(User.id).where(User.profile_id == candidate))
        if taken is None and candidate != str(user.id):
            return candidate


def find_public_profile(session: Session, profile_id: str, viewer: User | None) -> PublicProfile:
    """The profile behind ``/u/<profile_id>``: its owner's public, accepted, unrevoked
    badges, newest first. ``NotFoundError`` for an unknown id or a profile turned off,
    for everyone (its owner turns it on in the account settings)."""
    if not profile_id or len(profile_id) > 16:
        raise NotFoundError()
    user = session.scalar(
        select(User).where(User.profile_id == profile_id, User.is_profile_public.is_(True))
    )
    if user is None or not user.is_active:
        raise NotFoundError()
    awards = session.scalars(
        select(Award)
        .options(joinedload(Award.badge_class).joinedload(BadgeClass.issuer))
        .where(
            Award.user_id == user.id,
            Award.is_public.is_(True),
            Award.state.in_(SHOWN_STATES),
            Award.revoked_at.is_(None),
        )
        .order_by(Award.issued_on.desc(), Award.id.desc())
    ).all()
    is_owner = viewer is not None and viewer.id == user.id
    imported = imported_badges.public_imports(session, user)
    return PublicProfile(user=user, awards=list(awards), is_owner=is_owner, imported=imported)


def profile_etag(profile: PublicProfile, locale: str, now: datetime) -> str:
    """An ETag over what the profile shows a stranger (names, badges, expiries)."""
    facts: list[object] = ["profile", PAGE_VERSION, locale, profile.user.name]
    for award in profile.awards:
        facts += [*_badge_facts(award), award.is_expired(now)]
    for imported in profile.imported:
        facts += [
            imported.share_id,
            imported.badge_name,
            imported.issuer_name,
            imported.image_sha256,
            imported.issued_on,
            imported.status,
            imported.is_expired(now),
        ]
    return _digest(*facts)
