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

# Bits per status list: the specification's minimum, 16 KB. An award's bit is fixed by its
# id (list = 1 + id // LIST_BITS, index = id % LIST_BITS): allocated once, never reused.
LIST_BITS = status.MIN_BITS
_CHUNK = 5000


def status_position(award_id: int) -> tuple[int, int]:
    """The award's (list number, index); lists are numbered from 1."""
    number, index = divmod(award_id, LIST_BITS)
    return number + 1, index


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
    award: Award, base_url: str, valid_from: datetime, language: str = "ja"
) -> dict[str, Any]:
    """The unsigned credential of ``award``: no name, only the salted hash of the address."""
    badge = award.badge_class
    number, index = status_position(award.id)
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
) -> dict[str, Any]:
    unsigned = credential_document(award, settings.base_url, valid_from, settings.default_locale)
    signed = integrity.sign(
        unsigned, signer.private_key, signer.verification_method, created=valid_from, as_list=True
    )
    token = vcjwt.sign(unsigned, signer.private_key, kid=signer.verification_method)
    number, index = status_position(award.id)
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
    issuance, or ``now``); returns how many were made. One bulk insert."""
    have = _existing(session, [award.id for award in awards])
    todo = [award for award in awards if award.id not in have]
    if not todo:
        return 0
    signers: dict[int, IssuerSigner] = {}
    rows = []
    for award in todo:
        issuer = award.badge_class.issuer
        if issuer.id not in signers:
            signers[issuer.id] = signer_for(session, settings, issuer, now)
        valid_from = award.issued_at or now
        rows.append(_signed_row(award, signers[issuer.id], settings, valid_from))
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
