"""The programme office's use cases: issuer profile, badge classes, awards.

Issuing is idempotent per (badge class, normalised email): the database has a
unique constraint and every batch skips the addresses already awarded. Each new
award gets its claim token and its mail 1 (``award_notice``) in the caller's
transaction, so a failed batch leaves neither awards nor mails behind.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wallet.db import utcnow
from wallet.models import (
    Award,
    AwardBatch,
    AwardState,
    BadgeClass,
    BadgeKind,
    Issuer,
    OutboxMail,
    Token,
    TokenPurpose,
)
from wallet.openbadges.hashing import new_salt
from wallet.security import hash_token, new_token
from wallet.services.badges import badge_mail_facts
from wallet.services.blobs import put_blob
from wallet.services.csv_import import CompleterRow, CompletersFile, RowProblem, read_completers
from wallet.services.errors import NotFoundError, ValidationError
from wallet.services.images import check_image

AWARD_NOTICE = "award_notice"  # mail 1, templates/mail/award_notice/
MAX_TAGS = 20
MAX_TAG_LENGTH = 50
MAX_REASON = 1000


class IssuingError(ValidationError):
    """A request the programme office can fix; ``code`` says what (views translate it)."""


# -- issuer profile ----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerDetails:
    name: str
    name_en: str
    url: str
    email: str
    description: str = ""


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
    """Create or update the issuer profile; a new logo replaces the old one."""
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
    if details.kind != badge.kind and _award_count(session, badge.id):
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


def _award_count(session: Session, badge_class_id: int) -> int:
    return int(
        session.scalar(select(func.count()).where(Award.badge_class_id == badge_class_id)) or 0
    )


# -- award batches -----------------------------------------------------------------------


def preview_completers(
    session: Session,
    badge_class_id: int,
    data: bytes,
    *,
    max_bytes: int,
    max_rows: int,
    default_locale: str = "ja",
) -> CompletersFile:
    """Read the uploaded list and mark every row's problem. Writes nothing."""
    badge = get_badge_class(session, badge_class_id)
    completers = read_completers(
        data, max_bytes=max_bytes, max_rows=max_rows, default_locale=default_locale
    )
    awarded = _awarded_emails(session, badge.id)
    for row in completers.rows:
        if row.is_valid and row.email in awarded:
            row.problem = RowProblem.ALREADY_AWARDED
    return completers


def _awarded_emails(session: Session, badge_class_id: int) -> set[str]:
    return set(
        session.scalars(select(Award.recipient_email).where(Award.badge_class_id == badge_class_id))
    )


def _new_share_ids(session: Session, count: int) -> list[str]:
    """``count`` short share ids unused so far (drawn again on the rare collision)."""
    chosen: set[str] = set()
    while len(chosen) < count:
        candidates = {secrets.token_urlsafe(6) for _ in range(count - len(chosen))} - chosen
        taken: set[str] = set()
        for chunk in _chunks(sorted(candidates), 500):
            taken.update(session.scalars(select(Award.share_id).where(Award.share_id.in_(chunk))))
        chosen.update(candidates - taken)
    return list(chosen)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def issue_awards(
    session: Session,
    badge_class_id: int,
    rows: list[CompleterRow],
    *,
    base_url: str,
    claim_lifetime: timedelta,
    created_by_id: int | None = None,
    filename: str = "",
    timezone: str = "Asia/Tokyo",
    now: datetime | None = None,
) -> AwardBatch:
    """Create one offered award per new recipient, with a claim token and mail 1 each.

    Rows whose address already has this badge (earlier batches, or repeated in
    ``rows``) are skipped and counted, so issuing the same list twice creates
    nothing the second time (the returned batch is then not even stored).
    """
    now = now or utcnow()
    badge = get_badge_class(session, badge_class_id)
    awarded = _awarded_emails(session, badge.id)
    fresh: list[CompleterRow] = []
    for row in rows:
        if row.email in awarded:
            continue
        awarded.add(row.email)
        fresh.append(row)
    batch = AwardBatch(
        badge_class_id=badge.id,
        created_by_id=created_by_id,
        filename=filename[:255],
        created_count=len(fresh),
        skipped_count=len(rows) - len(fresh),
        created_at=now,
    )
    if not fresh:
        return batch  # nothing new: not recorded, so repeating an upload leaves no trace
    expires_at = now + timedelta(days=badge.valid_days) if badge.valid_days else None
    awards = [
        Award(
            public_id=secrets.token_urlsafe(24),
            share_id=share_id,
            badge_class_id=badge.id,
            recipient_email=row.email,
            recipient_name=row.name,
            student_number=row.student_number,
            salt=new_salt(),
            locale=row.locale or "ja",
            state=AwardState.OFFERED,
            issued_on=now,
            expires_at=expires_at,
            created_at=now,
        )
        for row, share_id in zip(fresh, _new_share_ids(session, len(fresh)), strict=True)
    ]
    try:
        with session.begin_nested():
            session.add(batch)
            session.flush()
            for award in awards:
                award.batch_id = batch.id
            session.add_all(awards)
            session.flush()
    except IntegrityError as error:
        # another upload of the same people committed between our check and insert
        raise IssuingError("concurrent_batch") from error
    _offer_claims(
        session,
        awards,
        badge_mail_facts(badge),
        base_url=base_url,
        claim_lifetime=claim_lifetime,
        timezone=timezone,
        now=now,
    )
    return batch


def _offer_claims(
    session: Session,
    awards: list[Award],
    facts: dict[str, str],
    *,
    base_url: str,
    claim_lifetime: timedelta,
    timezone: str,
    now: datetime,
) -> None:
    """A claim token and a queued mail 1 for each award, written with one flush.

    The rows are the ones ``tokens.issue_token`` and ``outbox.queue_mail`` write,
    built together so ten thousand awards do not cost twenty thousand flushes.
    """
    expires_at = now + claim_lifetime
    expires_on = expires_at.astimezone(ZoneInfo(timezone)).date().isoformat()
    rows: list[Token | OutboxMail] = []
    for award in awards:
        raw = new_token()
        rows.append(
            Token(
                purpose=TokenPurpose.CLAIM,
                token_hash=hash_token(raw),
                email=award.recipient_email,
                award_id=award.id,
                expires_at=expires_at,
                created_at=now,
            )
        )
        rows.append(
            OutboxMail(
                template=AWARD_NOTICE,
                to_email=award.recipient_email,
                locale=award.locale,
                context={
                    **facts,
                    "recipient_name": award.recipient_name,
                    "claim_url": f"{base_url.rstrip('/')}/claim/{raw}",
                    "claim_expires_on": expires_on,
                },
                created_at=now,
            )
        )
    session.add_all(rows)
    session.flush()


# -- single awards -----------------------------------------------------------------------


@dataclass(frozen=True)
class AwardPage:
    awards: list[Award]
    page: int
    pages: int
    total: int


def list_awards(
    session: Session, badge_class_id: int, *, page: int = 1, per_page: int = 50
) -> AwardPage:
    """The awards of a badge class, newest first, one page at a time."""
    badge = get_badge_class(session, badge_class_id)
    total = _award_count(session, badge.id)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    awards = list(
        session.scalars(
            select(Award)
            .where(Award.badge_class_id == badge.id)
            .order_by(Award.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return AwardPage(awards=awards, page=page, pages=pages, total=total)


def list_batches(session: Session, badge_class_id: int) -> list[AwardBatch]:
    return list(
        session.scalars(
            select(AwardBatch)
            .where(AwardBatch.badge_class_id == badge_class_id)
            .order_by(AwardBatch.id.desc())
        )
    )


def get_award(session: Session, award_id: int) -> Award:
    award = session.get(Award, award_id)
    if award is None:
        raise NotFoundError()
    return award


def _retire_claim_tokens(session: Session, award_id: int, now: datetime) -> None:
    session.execute(
        update(Token)
        .where(
            Token.award_id == award_id,
            Token.purpose == TokenPurpose.CLAIM,
            Token.used_at.is_(None),
            Token.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


def resend_claim(
    session: Session,
    award_id: int,
    *,
    base_url: str,
    claim_lifetime: timedelta,
    timezone: str = "Asia/Tokyo",
    now: datetime | None = None,
) -> Award:
    """Mail 1 again with a fresh claim link; earlier links stop working.

    Only while the award waits to be claimed and is not revoked.
    """
    now = now or utcnow()
    award = get_award(session, award_id)
    if award.is_revoked:
        raise IssuingError("award_revoked")
    if not award.is_offered:
        raise IssuingError("award_claimed")
    _retire_claim_tokens(session, award.id, now)
    _offer_claims(
        session,
        [award],
        badge_mail_facts(award.badge_class),
        base_url=base_url,
        claim_lifetime=claim_lifetime,
        timezone=timezone,
        now=now,
    )
    return award


def revoke_award(
    session: Session, award_id: int, reason: str, *, now: datetime | None = None
) -> Award:
    """Revoke with a reason verifiers will see; unclaimed links stop working."""
    now = now or utcnow()
    award = get_award(session, award_id)
    reason = reason.strip()
    if not reason:
        raise IssuingError("reason_missing", field="reason")
    if len(reason) > MAX_REASON:
        raise IssuingError("reason_too_long", field="reason", max_len=MAX_REASON)
    if award.is_revoked:
        raise IssuingError("award_revoked")
    award.revoked_at = now
    award.revocation_reason = reason
    _retire_claim_tokens(session, award.id, now)
    session.flush()
    return award
