"""The issuers' W3C Bitstring Status Lists, drawn from the awards themselves.

A list's bits are the issuer's revoked awards among those whose credential points into it
(``award_credential.status_list`` / ``status_index``), so revoking an award (the office's
revoke, ``issuing.awards.revoke_award``) flips its bit with nothing else to keep in step.
The list is a credential of the issuer, signed with its current key when served.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet import urls
from wallet.config import Settings
from wallet.models import Award, AwardCredential, BadgeClass, Issuer
from wallet.openbadges.ob3 import integrity, status
from wallet.services.errors import NotFoundError
from wallet.services.ob3.issuing import LIST_BITS
from wallet.services.ob3.keys import signer_for


def revoked_indexes(session: Session, issuer_id: int, number: int) -> list[int]:
    return list(
        session.scalars(
            select(AwardCredential.status_index)
            .join(Award, Award.id == AwardCredential.award_id)
            .join(BadgeClass, BadgeClass.id == Award.badge_class_id)
            .where(
                AwardCredential.status_list == number,
                BadgeClass.issuer_id == issuer_id,
                Award.revoked_at.is_not(None),
            )
        )
    )


def _in_use(session: Session, issuer_id: int, number: int) -> bool:
    return (
        session.scalar(
            select(AwardCredential.id)
            .join(Award, Award.id == AwardCredential.award_id)
            .join(BadgeClass, BadgeClass.id == Award.badge_class_id)
            .where(AwardCredential.status_list == number, BadgeClass.issuer_id == issuer_id)
            .limit(1)
        )
        is not None
    )


def status_list_document(
    session: Session, settings: Settings, issuer_public_id: str, number: int, now: datetime
) -> dict[str, Any]:
    """The signed BitstringStatusListCredential; ``NotFoundError`` for a list no credential
    of this issuer points into."""
    issuer = session.scalar(select(Issuer).where(Issuer.public_id == issuer_public_id))
    if issuer is None or number < 0 or not _in_use(session, issuer.id, number):
        raise NotFoundError()
    bits = status.new_bitstring(LIST_BITS)
    for index in revoked_indexes(session, issuer.id, number):
        bits[index // 8] |= 0x80 >> (index % 8)
    list_url = urls.ob3_status_list(settings.base_url, issuer.public_id, number)
    moment = now.replace(microsecond=0)
    unsigned = status.list_credential(
        list_url, urls.ob3_issuer(settings.base_url, issuer.public_id), status.encode(bits), moment
    )
    signer = signer_for(session, settings, issuer, now)
    return integrity.sign(unsigned, signer.private_key, signer.verification_method, created=moment)
