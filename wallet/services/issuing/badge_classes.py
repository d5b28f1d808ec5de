"""What the programme office issues: the issuer profile and its badge classes."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet.models import Award, BadgeClass, BadgeKind, Department, Issuer, User
from wallet.services import audit
from wallet.services.blobs import put_blob
from wallet.services.errors import NotFoundError
from wallet.services.images import check_image
from wallet.services.issuing.errors import IssuingError
from wallet.services.issuing.scope import (
    staff_badge_classes,
    visible_badge_class,
    visible_department,
)
from wallet.services.mail_domains import clean_mail_domains
from wallet.services.text import clean_text

MAX_TAGS = 20
LINKEDIN_ID_MAX = 32  # the column's width; LinkedIn's ids are far shorter
MAX_TAG_LENGTH = 50
# Texts others read; each is checked by ``clean_text`` (the forms show the same limits).
MAX_NAME = 200
MAX_URL = 500
MAX_EMAIL = 320
MAX_ISSUER_DESCRIPTION = 2000
MAX_TEXT = 5000

# What the audit log names when it changes (names only: the texts can be long).
ISSUER_FIELDS = (
    "name",
    "name_en",
    "url",
    "email",
    "description",
    "linkedin_organization_id",
    "mail_domains",
    "image_sha256",
)
BADGE_FIELDS = (
    "department_id",
    "name",
    "name_en",
    "description",
    "description_en",
    "criteria_text",
    "criteria_url",
    "kind",
    "valid_days",
    "tags",
    "image_sha256",
)


def _snapshot(row: object, fields: tuple[str, ...]) -> dict[str, object]:
    return {name: getattr(row, name, None) for name in fields}


def _changed(before: dict[str, object], row: object, fields: tuple[str, ...]) -> list[str]:
    return [name for name in fields if getattr(row, name, None) != before[name]]


# -- issuer profile ----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerDetails:
    name: str
    name_en: str
    url: str
    email: str
    description: str = ""
    linkedin_organization_id: str = ""  # digits, or "" for none
    mail_domains: str = ""  # as typed: one per line or comma-separated; "" for none


def get_issuer(session: Session) -> Issuer | None:
    """The university this wallet issues for (the first issuer profile)."""
    return session.scalar(select(Issuer).order_by(Issuer.id).limit(1))


def save_issuer(
    session: Session,
    details: IssuerDetails,
    *,
    logo: bytes | None = None,
    max_image_bytes: int,
    actor: User | None = None,
) -> Issuer:
    """Create or update the issuer profile; a new logo replaces the old one.

    ``IssuingError`` (field ``linkedin_organization_id``) for a LinkedIn company id
    that is not all digits or is too long; ``MailDomainInvalidError`` (field
    ``mail_domains``) for an entry that is not a domain name. With ``actor`` (a
    staff member) the names of the changed fields go in the audit log.
    """
    details = _clean_issuer(details)
    mail_domains = clean_mail_domains(details.mail_domains)
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
    before = _snapshot(issuer, ISSUER_FIELDS)
    issuer.name = details.name
    issuer.name_en = details.name_en
    issuer.url = details.url
    issuer.email = details.email
    issuer.description = details.description
    issuer.linkedin_organization_id = linkedin_id
    issuer.mail_domains = mail_domains
    if image_sha256:
        issuer.image_sha256 = image_sha256
    session.flush()
    if actor is not None:
        changed = _changed(before, issuer, ISSUER_FIELDS)
        audit.record(session, actor, "issuer.edit", issuer, {"changed": changed})
    return issuer


def _clean_issuer(details: IssuerDetails) -> IssuerDetails:
    """Every text through ``clean_text``; an error names the form field."""
    return IssuerDetails(
        name=clean_text(details.name, field="name", max_len=MAX_NAME),
        name_en=clean_text(details.name_en, field="name_en", max_len=MAX_NAME),
        url=clean_text(details.url, field="url", max_len=MAX_URL),
        email=clean_text(details.email, field="email", max_len=MAX_EMAIL),
        description=clean_text(
            details.description,
            field="description",
            multiline=True,
            max_len=MAX_ISSUER_DESCRIPTION,
        ),
        linkedin_organization_id=details.linkedin_organization_id,
        mail_domains=details.mail_domains,
    )


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
        tag = " ".join(clean_text(part, field="tags").split())
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in tags):
        raise IssuingError("too_many_tags", field="tags", max_tags=MAX_TAGS, max_len=MAX_TAG_LENGTH)
    return tags


def _clean_badge(details: BadgeClassDetails) -> BadgeClassDetails:
    """Every text through ``clean_text``; an error names the form field."""

    def long_text(value: str, field: str) -> str:
        return clean_text(value, field=field, multiline=True, max_len=MAX_TEXT)

    return replace(
        details,
        name=clean_text(details.name, field="name", max_len=MAX_NAME),
        name_en=clean_text(details.name_en, field="name_en", max_len=MAX_NAME),
        description=long_text(details.description, "description"),
        description_en=long_text(details.description_en, "description_en"),
        criteria_text=long_text(details.criteria_text, "criteria_text"),
        criteria_url=clean_text(details.criteria_url, field="criteria_url", max_len=MAX_URL),
        tags=[clean_text(tag, field="tags", max_len=MAX_TAG_LENGTH) for tag in details.tags],
    )


def _apply_details(badge: BadgeClass, details: BadgeClassDetails) -> None:
    details = _clean_badge(details)
    if not details.criteria_text and not details.criteria_url:
        raise IssuingError("criteria_missing", field="criteria_text")
    if details.kind not in set(BadgeKind):
        raise IssuingError("bad_kind", field="kind")
    if details.valid_days is not None and not 1 <= details.valid_days <= 36_500:
        raise IssuingError("bad_valid_days", field="valid_days")
    badge.name = details.name
    badge.name_en = details.name_en
    badge.description = details.description
    badge.description_en = details.description_en
    badge.criteria_text = details.criteria_text
    badge.criteria_url = details.criteria_url
    badge.kind = details.kind
    badge.valid_days = details.valid_days
    badge.tags = list(details.tags)


def _department(
    session: Session, issuer: Issuer, department_id: int, actor: User | None
) -> Department:
    """The department a badge class goes in: one of the issuer's, and with ``actor``
    one they may see (``NotFoundError`` otherwise, as for a class they may not)."""
    department: Department | None
    if actor is not None:
        department = visible_department(session, actor, department_id)
    else:
        department = session.get(Department, department_id)
    if department is None or department.issuer_id != issuer.id:
        raise IssuingError("bad_department", field="department_id")
    return department


def create_badge_class(
    session: Session,
    details: BadgeClassDetails,
    *,
    department_id: int,
    image: bytes,
    max_image_bytes: int,
    actor: User | None = None,
) -> BadgeClass:
    """A new badge class of the issuer in one of its departments, with its checked
    image stored by hash.

    With ``actor`` (a staff member) the department must be one of theirs, and the
    new class goes in the audit log.
    """
    issuer = get_issuer(session)
    if issuer is None:
        raise IssuingError("no_issuer")
    department = _department(session, issuer, department_id, actor)
    checked = check_image(image, max_bytes=max_image_bytes, field="image")
    badge = BadgeClass(
        public_id=secrets.token_urlsafe(12), issuer_id=issuer.id, department_id=department.id
    )
    _apply_details(badge, details)
    badge.image_sha256 = put_blob(session, checked.data, checked.content_type).sha256
    session.add(badge)
    session.flush()
    if actor is not None:
        audit.record(session, actor, "badge_class.create", badge, {"name": badge.name})
    return badge


def update_badge_class(
    session: Session,
    badge_class_id: int,
    details: BadgeClassDetails,
    *,
    department_id: int | None = None,
    image: bytes | None = None,
    max_image_bytes: int,
    actor: User | None = None,
) -> BadgeClass:
    """Edit a badge class, and move it to ``department_id`` if given. Its kind is
    fixed once it has awards.

    With ``actor`` (a staff member) the class and its new department must be ones
    they may see (``NotFoundError`` otherwise), and the names of the changed
    fields go in the audit log.
    """
    if actor is not None:
        badge = visible_badge_class(session, actor, badge_class_id)
    else:
        badge = get_badge_class(session, badge_class_id)
    if details.kind != badge.kind and award_count(session, badge.id):
        raise IssuingError("kind_locked", field="kind")
    department = None
    if department_id is not None and department_id != badge.department_id:
        department = _department(session, badge.issuer, department_id, actor)
    image_sha256 = None
    if image:
        checked = check_image(image, max_bytes=max_image_bytes, field="image")
        image_sha256 = put_blob(session, checked.data, checked.content_type).sha256
    before = _snapshot(badge, BADGE_FIELDS)
    _apply_details(badge, details)
    if department is not None:
        badge.department_id = department.id
    if image_sha256:
        badge.image_sha256 = image_sha256
    session.flush()
    if actor is not None:
        changed = _changed(before, badge, BADGE_FIELDS)
        audit.record(
            session, actor, "badge_class.edit", badge, {"name": badge.name, "changed": changed}
        )
    return badge


def get_badge_class(session: Session, badge_class_id: int) -> BadgeClass:
    badge = session.get(BadgeClass, badge_class_id)
    if badge is None:
        raise NotFoundError()
    return badge


def list_badge_classes(session: Session, staff: User) -> list[BadgeClassSummary]:
    """The badge classes ``staff`` may see, newest first, with how many awards are in
    each state."""
    visible = staff_badge_classes(session, staff)
    badges = list(session.scalars(visible.order_by(BadgeClass.id.desc())))
    counts: dict[int, Counter[str]] = {badge.id: Counter() for badge in badges}
    rows = session.execute(
        select(
            Award.badge_class_id,
            Award.state,
            Award.revoked_at.is_not(None),
            func.count(),
        )
        .where(Award.badge_class_id.in_(visible.with_only_columns(BadgeClass.id)))
        .group_by(Award.badge_class_id, Award.state, Award.revoked_at.is_not(None))
    )
    for badge_class_id, state, revoked, count in rows:
        counts.setdefault(badge_class_id, Counter())["revoked" if revoked else state] += count
    return [BadgeClassSummary(badge, dict(counts[badge.id])) for badge in badges]


def award_count(session: Session, badge_class_id: int) -> int:
    """How many awards the badge class has, in any state."""
    return int(
        session.scalar(select(func.count()).where(Award.badge_class_id == badge_class_id)) or 0
    )
