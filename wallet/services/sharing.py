"""What a badge shows the world: the share page, its images, the public profile.

The visibility rule (DESIGN.md): a private badge is "not found" on every public
surface for everyone but its owner, exactly like a share id that never existed.
Only accepted badges (pending or issued, revoked ones included, so a verifier
sees the revocation) have a public face; offered and declined ones never do.
Their owner switches them public or private (``set_visibility``).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from wallet.models import Award, AwardState, BadgeClass, User
from wallet.services.errors import NotFoundError

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
