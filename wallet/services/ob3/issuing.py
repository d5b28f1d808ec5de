"""Sign and keep each issued award's Open Badges 3.0 credential (the 2.0 assertion stays).

When an award is issued (a hosted badge at acceptance, an anchored one when the daily run
completes it) its `OpenBadgeCredential` is built from the same facts as the assertion,
signed twice by the issuer's current key (an `eddsa-rdfc-2022` Data Integrity proof in the
JSON, and the VC-JWT form), given its bit in the issuer's status lists and stored as text,
so every download is byte for byte what was signed. Texts go in as staff wrote them.

Thousands at once (the daily run, a whole year accepting on one day) go through
`issue_credentials`, which inserts them in one statement.
Awards issued before this existed get theirs the first time someone asks
(`credential_for`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wallet import urls
from wallet.config import Settings
from wallet.models import Award, AwardCredential, AwardState, BadgeClass
from wallet.openbadges.hashing import hash_identity, normalise_email
from wallet.openbadges.ob3 import integrity, status, vcjwt
from wallet.openbadges.ob3.documents import (
    Achievement,
    AchievementSubject,
    Credential,
    Criteria,
    IdentityObject,
    Image,
    Profile,
)
from wallet.services.errors import NotFoundError
from wallet.services.ob3.keys import IssuerSigner, signer_for

# Bits per status list: the specification's minimum, 16 KB (131,072 bits).
LIST_BITS = status.MIN_BITS
_CHUNK = 5000
_ATTEMPTS = 3
_FEW = 16
_random = secrets.SystemRandom()

Position = tuple[int, int]  # (status list number, index in it)


def list_number(award_id: int) -> int:
    """The status list an award's bit is in: awards are taken in blocks of ``LIST_BITS``
    ids (numbered from 1), so a list never runs out of bits."""
    return 1 + award_id // LIST_BITS


def status_positions(session: Session, award_ids: Sequence[int]) -> dict[int, Position]:
    """A bit for each award, at a random unused index of its list: an index in issue order
    would tell a list's readers who was awarded when, and next to whom (Bitstring Status
    List, privacy considerations). Allocated once, never reused."""
    by_list: dict[int, list[int]] = {}
    for award_id in award_ids:
        by_list.setdefault(list_number(award_id), []).append(award_id)
    positions: dict[int, Position] = {}
    for number, ids in by_list.items():
        indexes = _free_indexes(session, number, len(ids))
        positions.update(
            (award_id, (number, index)) for award_id, index in zip(ids, indexes, strict=True)
        )
    return positions


def _free_indexes(session: Session, number: int, count: int) -> list[int]:
    """``count`` random indexes no credential uses in list ``number``. A few are drawn and
    checked in one query (a list is rarely near full); many, or a full list, read the list."""
    in_list = select(AwardCredential.status_index).where(AwardCredential.status_list == number)
    if count <= _FEW:
        drawn = _random.sample(range(LIST_BITS), 4 * count)
        used = set(session.scalars(in_list.where(AwardCredential.status_index.in_(drawn))))
        free = [index for index in drawn if index not in used]
        if len(free) >= count:
            return free[:count]
    used = set(session.scalars(in_list))
    return _random.sample([index for index in range(LIST_BITS) if index not in used], count)


def _moment(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _achievement(badge: BadgeClass, base_url: str, language: str) -> Achievement:
    criteria = Criteria(id=badge.criteria_url or None, narrative=badge.criteria_text or None)
    if criteria.id is None and criteria.narrative is None:
        criteria = Criteria(narrative=badge.description)
    return Achievement(
        id=urls.badge_class(base_url, badge.public_id),
        name=badge.name,
        description=badge.description,
        criteria=criteria,
        achievement_type="Badge",
        image=Image(urls.image(base_url, badge.image_sha256)),
        in_language=language,
        tags=tuple(badge.tags or ()),
    )


def _issuer_profile(badge: BadgeClass, base_url: str) -> Profile:
    issuer = badge.issuer
    return Profile(
        id=urls.ob3_issuer(base_url, issuer.public_id),
        name=issuer.name,
        url=issuer.url or None,
        email=issuer.email or None,
    )


def credential_document(
    award: Award, base_url: str, valid_from: datetime, position: Position, language: str = "ja"
) -> dict[str, Any]:
    """The unsigned credential of ``award``, its status bit at ``position``: no name, only
    the salted hash of the address."""
    badge = award.badge_class
    number, index = position
    list_url = urls.ob3_status_list(base_url, badge.issuer.public_id, number)
    identity = hash_identity(normalise_email(award.recipient_email), award.salt)
    return Credential(
        id=urls.ob3_credential(base_url, award.public_id),
        issuer=_issuer_profile(badge, base_url),
        name=badge.name,
        description=badge.description,
        valid_from=_moment(valid_from),
        valid_until=_moment(award.expires_at) if award.expires_at else None,
        awarded_date=_moment(award.issued_on),
        image=Image(urls.image(base_url, badge.image_sha256)),
        subject=AchievementSubject(
            achievement=_achievement(badge, base_url, language),
            identifier=(IdentityObject(identity, salt=award.salt),),
        ),
        credential_status=(status.entry(list_url, index),),
    ).to_json()


def _signed_row(
    award: Award,
    signer: IssuerSigner,
    settings: Settings,
    valid_from: datetime,
    position: Position,
) -> dict[str, Any]:
    unsigned = credential_document(
        award, settings.base_url, valid_from, position, settings.default_locale
    )
    signed = integrity.sign(
        unsigned, signer.private_key, signer.verification_method, created=valid_from, as_list=True
    )
    token = vcjwt.sign(unsigned, signer.private_key, kid=signer.verification_method)
    number, index = position
    return {
        "award_id": award.id,
        "status_list": number,
        "status_index": index,
        "document": json.dumps(signed, ensure_ascii=False, indent=2),
        "jwt": token,
        "created_at": valid_from,
    }


def _existing(session: Session, award_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(award_ids), _CHUNK):
        chunk = award_ids[start : start + _CHUNK]
        found.update(
            session.scalars(
                select(AwardCredential.award_id).where(AwardCredential.award_id.in_(chunk))
            )
        )
    return found


def issue_credentials(
    session: Session, settings: Settings, awards: Sequence[Award], now: datetime
) -> int:
    """Sign and store the 3.0 credential of each award that has none yet (valid from its
    issuance, or ``now``); returns how many were made. One bulk insert, tried again (new
    random bits) if another issuance took one of the same bits at the same moment."""
    for attempt in range(_ATTEMPTS):
        try:
            with session.begin_nested():
                return _issue(session, settings, awards, now)
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _issue(session: Session, settings: Settings, awards: Sequence[Award], now: datetime) -> int:
    have = _existing(session, [award.id for award in awards])
    todo = [award for award in awards if award.id not in have]
    if not todo:
        return 0
    positions = status_positions(session, [award.id for award in todo])
    signers: dict[int, IssuerSigner] = {}
    rows = []
    for award in todo:
        issuer = award.badge_class.issuer
        if issuer.id not in signers:
            signers[issuer.id] = signer_for(session, settings, issuer, now)
        valid_from = award.issued_at or now
        rows.append(
            _signed_row(award, signers[issuer.id], settings, valid_from, positions[award.id])
        )
    session.execute(insert(AwardCredential), rows)
    return len(rows)


def credential_for(
    session: Session, settings: Settings, award: Award, now: datetime
) -> AwardCredential:
    """The award's stored credential, made now if it was issued before 3.0 was (only for
    issued, unrevoked awards: ``NotFoundError`` otherwise)."""
    found = session.scalar(select(AwardCredential).where(AwardCredential.award_id == award.id))
    if found is not None:
        return found
    if award.state != AwardState.ISSUED or award.is_revoked:
        raise NotFoundError()
    try:
        with session.begin_nested():
            issue_credentials(session, settings, [award], now)
    except IntegrityError:  # made at the same moment by another request
        pass
    found = session.scalar(select(AwardCredential).where(AwardCredential.award_id == award.id))
    if found is None:
        raise NotFoundError()
    return found


def issue_accepted(
    session: Session, settings: Settings, awards: Sequence[Award], now: datetime
) -> int:
    """After acceptance: the credentials of the awards it issued (hosted badges; an
    anchored one waits for the daily run)."""
    issued = [a for a in awards if a.state == AwardState.ISSUED and not a.is_revoked]
    return issue_credentials(session, settings, issued, now)


def stored_document(session: Session, award_public_id: str) -> str:
    """The credential JSON of the award ``award_public_id`` as it was signed
    (``NotFoundError`` when it has none: unknown, not issued, or issued before 3.0 and
    never asked for)."""
    document = session.scalar(
        select(AwardCredential.document)
        .join(Award, Award.id == AwardCredential.award_id)
        .where(Award.public_id == award_public_id)
    )
    if document is None:
        raise NotFoundError()
    return document
