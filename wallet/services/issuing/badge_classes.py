"""What the programme office issues: the issuer profile and its badge classes."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet.models import Award, BadgeClass, BadgeKind, Issuer
from wallet.services.blobs import put_blob
from wallet.services.errors import NotFoundError
from wallet.services.images import check_image
from wallet.services.issuing.errors import IssuingError

MAX_TAGS = 20
LINKEDIN_ID_MAX = 32  # the column's width; LinkedIn's ids are far shorter
MAX_TAG_LENGTH = 50

# -- issuer profile ----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerDetails:
    name: str
    name_en: str
    url: str
    email: str
    description: str = ""
    linkedin_organization_id: str = ""  # digits, or "" for none


def get_issuer(session: Session) -> Issuer | None:
    """The university this wallet issues for (the first issuer profile)."""
    return session.scalar(select(Issuer).order_by(Issuer.id).limit(1))


def save_issuer(
    session: Session,
    details: IssuerDetails,
    *,
    logo: bytes | None = None,
    max_image_bytes: int,
) -> Issuer:
    """Create or update the issuer profile; a new logo replaces the old one.

    ``IssuingError`` (field ``linkedin_organization_id``) for a LinkedIn company id
    that is not all digits or is too long.
    """
    linkedin_id = details.linkedin_organization_id.strip()
    if linkedin_id and not (linkedin_id.isascii() and linkedin_id.isdigit()):
        raise IssuingError("linkedin_id_digits", field="linkedin_organization_id")
    if len(linkedin_id) > LINKEDIN_ID_MAX:
        raise IssuingError(
            "linkedin_id_long", field="linkedin_organization_id", max=LINKEDIN_ID_MAX
        )
    image_sha256 = None
    if logo:
        checked = check_image(logo, max_bytes=max_image_bytes, field="logo")
        image_sha256 = put_blob(session, checked.data, checked.content_type).sha256
    issuer = get_issuer(session)
    if issuer is None:
        issuer = Issuer(public_id=secrets.token_urlsafe(12))
        session.add(issuer)
    issuer.name = details.name.strip()
    issuer.name_en = details.name_en.strip()
    issuer.url = details.url.strip()
    issuer.email = details.email.strip()
    issuer.description = details.description.strip()
    issuer.linkedin_organization_id = linkedin_id
    if image_sha256:
        issuer.image_sha256 = image_sha256
    session.flush()
    return issuer


# -- badge classes -----------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeClassDetails:
    name: str
    description: str
    name_en: str = ""
    description_en: str = ""
    criteria_text: str = ""
    criteria_url: str = ""
    kind: str = BadgeKind.HOSTED
    valid_days: int | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BadgeClassSummary:
    badge_class: BadgeClass
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags (ASCII or Japanese commas), trimmed, without repeats."""
    tags: list[str] = []
    for part in text.replace("、", ",").replace("，", ",").split(","):
        tag = " ".join(part.split())
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in tags):
        raise IssuingError("too_many_tags", field="tags", max_tags=MAX_TAGS, max_len=MAX_TAG_LENGTH)
    return tags


def _apply_details(badge: BadgeClass, details: BadgeClassDetails) -> None:
    if not details.criteria_text.strip() and not details.criteria_url.strip():
        raise IssuingError("criteria_missing", field="criteria_text")
    if details.kind not in set(BadgeKind):
        raise IssuingError("bad_kind", field="kind")
    if details.valid_days is not None and not 1 <= details.valid_days <= 36_500:
        raise IssuingError("bad_valid_days", field="valid_days")
    badge.name = details.name.strip()
    badge.name_en = details.name_en.strip()
    badge.description = details.description.strip()
    badge.description_en = details.description_en.strip()
    badge.criteria_text = details.criteria_text.strip()
    badge.criteria_url = details.criteria_url.strip()
    badge.kind = details.kind
    badge.valid_days = details.valid_days
    badge.tags = list(details.tags)


def create_badge_class(
    session: Session,
    details: BadgeClassDetails,
    *,
    image: bytes,
    max_image_bytes: int,
) -> BadgeClass:
    """A new badge class of the issuer, with its checked image stored by hash."""
    issuer = get_issuer(session)
    if issuer is None:
        raise IssuingError("no_issuer")
    checked = check_image(image, max_bytes=max_image_bytes, field="image")
    badge = BadgeClass(public_id=secrets.token_urlsafe(12), issuer_id=issuer.id)
    _apply_details(badge, details)
    badge.image_sha256 = put_blob(session, checked.data, checked.content_type).sha256
    session.add(badge)
    session.flush()
    return badge


def update_badge_class(
    session: Session,
    badge_class_id: int,
    details: BadgeClassDetails,
    *,
    image: bytes | None = None,
    max_image_bytes: int,
) -> BadgeClass:
    """Edit a badge class. Its kind is fixed once it has awards."""
    badge = get_badge_class(session, badge_class_id)
    if details.kind != badge.kind and award_count(session, badge.id):
        raise IssuingError("kind_locked", field="kind")
    image_sha256 = None
    if image:
        checked = check_image(image, max_bytes=max_image_bytes, field="image")
        image_sha256 = put_blob(session, checked.data, checked.content_type).sha256
    _apply_details(badge, details)
    if image_sha256:
        badge.image_sha256 = image_sha256
    session.flush()
    return badge


def get_badge_class(session: Session, badge_class_id: int) -> BadgeClass:
    badge = session.get(BadgeClass, badge_class_id)
    if badge is None:
        raise NotFoundError()
    return badge


def list_badge_classes(session: Session) -> list[BadgeClassSummary]:
    """Every badge class, newest first, with how many awards are in each state."""
    badges = list(session.scalars(select(BadgeClass).order_by(BadgeClass.id.desc())))
    counts: dict[int, Counter[str]] = {badge.id: Counter() for badge in badges}
    rows = session.execute(
        select(
            Award.badge_class_id,
            Award.state,
            Award.revoked_at.is_not(None),
            func.count(),
        ).group_by(Award.badge_class_id, Award.state, Award.revoked_at.is_not(None))
    )
    for badge_class_id, state, revoked, count in rows:
        counts.setdefault(badge_class_id, Counter())["revoked" if revoked else state] += count
    return [BadgeClassSummary(badge, dict(counts[badge.id])) for badge in badges]


def award_count(session: Session, badge_class_id: int) -> int:
    """How many awards the badge class has, in any state."""
    return int(
        session.scalar(select(func.count()).where(Award.badge_class_id == badge_class_id)) or 0
    )
