"""Award batches: the completers list checked, then one offered award per new recipient.

Issuing is idempotent per (badge class, normalised email): the database has a
unique constraint and every batch skips the addresses already awarded. Each new
award gets its claim token and its mail 1 (``award_notice``) in the caller's
transaction, so a failed batch leaves neither awards nor mails behind.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wallet import urls
from wallet.db import utcnow
from wallet.models import (
    Award,
    AwardBatch,
    AwardState,
    BadgeClass,
    ImportedBadge,
    OutboxMail,
    Token,
    TokenPurpose,
    User,
)
from wallet.openbadges.hashing import new_salt
from wallet.security import hash_token, new_token
from wallet.services import audit
from wallet.services.accounts import owner_locales
from wallet.services.badges import badge_mail_facts
from wallet.services.csv_import import CompleterRow, CompletersFile, RowProblem, read_completers
from wallet.services.issuing.badge_classes import get_badge_class
from wallet.services.issuing.errors import IssuingError
from wallet.services.issuing.scope import visible_badge_class
from wallet.services.text import reveal

AWARD_NOTICE = "award_notice"  # mail 1, templates/mail/award_notice/


def preview_completers(
    session: Session,
    badge_class_id: int,
    data: bytes,
    *,
    max_bytes: int,
    max_rows: int,
) -> CompletersFile:
    """Read the uploaded list and mark every row's problem. Writes nothing."""
    badge = get_badge_class(session, badge_class_id)
    completers = read_completers(data, max_bytes=max_bytes, max_rows=max_rows)
    awarded = _awarded_emails(session, badge.id)
    for row in completers.rows:
        if row.is_valid and row.email in awarded:
            row.problem = RowProblem.ALREADY_AWARDED
    return completers


def _awarded_emails(session: Session, badge_class_id: int) -> set[str]:
    return set(
        session.scalars(select(Award.recipient_email).where(Award.badge_class_id == badge_class_id))
    )


def new_share_ids(session: Session, count: int) -> list[str]:
    """``count`` short share ids unused so far (drawn again on the rare collision).

    Awards and imported badges share ``/b/<share-id>``, so an id is new to both."""
    chosen: set[str] = set()
    while len(chosen) < count:
        candidates = {secrets.token_urlsafe(6) for _ in range(count - len(chosen))} - chosen
        taken: set[str] = set()
        for chunk in _chunks(sorted(candidates), 500):
            taken.update(session.scalars(select(Award.share_id).where(Award.share_id.in_(chunk))))
            taken.update(
                session.scalars(
                    select(ImportedBadge.share_id).where(ImportedBadge.share_id.in_(chunk))
                )
            )
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
    default_locale: str = "ja",
    now: datetime | None = None,
    actor: User | None = None,
) -> AwardBatch:
    """Create one offered award per new recipient, with a claim token and mail 1 each.

    Rows whose address already has this badge (earlier batches, or repeated in
    ``rows``) are skipped and counted, so issuing the same list twice creates
    nothing the second time (the returned batch is then not even stored).

    Mail 1 is in the row's language; a row without one gets the language of the
    account that already owns the address, else ``default_locale``.

    With ``actor`` (a staff member) the badge class must be one they may see
    (``NotFoundError`` otherwise), and the confirmed batch, even one that created
    nothing, is one audit log entry on the badge class with its counts.
    """
    now = now or utcnow()
    if actor is not None:
        badge = visible_badge_class(session, actor, badge_class_id)
    else:
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
        filename=reveal(filename)[:255],  # shown to staff: nothing in it may hide
        created_count=len(fresh),
        skipped_count=len(rows) - len(fresh),
        created_at=now,
    )
    if not fresh:
        _audit_batch(session, actor, badge, batch)
        return batch  # nothing new: not stored, so repeating an upload leaves no batch
    expires_at = now + timedelta(days=badge.valid_days) if badge.valid_days else None
    owners = owner_locales(session, [row.email for row in fresh if not row.locale])
    awards = [
        Award(
            public_id=secrets.token_urlsafe(24),
            share_id=share_id,
            badge_class_id=badge.id,
            recipient_email=row.email,
            recipient_name=row.name,
            student_number=row.student_number,
            salt=new_salt(),
            locale=row.locale or owners.get(row.email, default_locale),
            state=AwardState.OFFERED,
            issued_on=now,
            expires_at=expires_at,
            created_at=now,
        )
        for row, share_id in zip(fresh, new_share_ids(session, len(fresh)), strict=True)
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
    offer_claims(
        session,
        awards,
        badge_mail_facts(badge),
        base_url=base_url,
        claim_lifetime=claim_lifetime,
        timezone=timezone,
        now=now,
    )
    _audit_batch(session, actor, badge, batch)
    return batch


def _audit_batch(
    session: Session, actor: User | None, badge: BadgeClass, batch: AwardBatch
) -> None:
    if actor is None:
        return
    details: dict[str, object] = {
        "batch_id": batch.id,
        "created": batch.created_count,
        "skipped": batch.skipped_count,
        "filename": batch.filename,
    }
    audit.record(session, actor, "award.issue", badge, details)


def offer_claims(
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
                    "claim_url": urls.claim(base_url, raw),
                    "claim_expires_on": expires_on,
                },
                created_at=now,
            )
        )
    session.add_all(rows)
    session.flush()


def list_batches(session: Session, badge_class_id: int) -> list[AwardBatch]:
    return list(
        session.scalars(
            select(AwardBatch)
            .where(AwardBatch.badge_class_id == badge_class_id)
            .order_by(AwardBatch.id.desc())
        )
    )
