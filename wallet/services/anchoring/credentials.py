"""An award's Blockcerts credential and the issuer's Blockcerts profile, as served."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet import urls
from wallet.config import Settings
from wallet.models import AnchorBatch, AnchoredCredential, Award, Issuer
from wallet.openbadges import blockcerts
from wallet.services.errors import NotFoundError


def signed_credential(credential: AnchoredCredential) -> dict[str, Any]:
    """The credential as the student downloads it: what was hashed, plus its proof."""
    document: dict[str, Any] = json.loads(credential.unsigned)
    if credential.proof is not None:
        document["proof"] = credential.proof
    return document


def credential_of(session: Session, award: Award) -> AnchoredCredential | None:
    """The award's credential once its batch is anchored (None before, or for hosted ones)."""
    credential = session.scalars(
        select(AnchoredCredential).where(AnchoredCredential.award_id == award.id)
    ).first()
    return credential if credential is not None and credential.proof is not None else None


def download(session: Session, award: Award) -> tuple[str, bytes]:
    """File name and bytes of the award's Blockcerts JSON; ``NotFoundError`` until anchored."""
    credential = credential_of(session, award)
    if credential is None or award.is_revoked:
        raise NotFoundError("not_anchored")
    body = json.dumps(signed_credential(credential), ensure_ascii=False, indent=2)
    return f"blockcerts-{award.share_id}.json", body.encode("utf-8")


def issuer_profile_document(
    session: Session, settings: Settings, public_id: str, chain_key: tuple[str, bytes] | None
) -> dict[str, Any]:
    return issuer_profile_for(session, settings.base_url, public_id, chain_key)


def issuer_profile_for(
    session: Session, base_url: str, public_id: str, chain_key: tuple[str, bytes] | None
) -> dict[str, Any]:
    """The Blockcerts profile; ``chain_key`` (address, public key) when a chain anchors. The
    key counts from the issuer's creation: every batch it anchored came later."""
    issuer = session.scalars(select(Issuer).where(Issuer.public_id == public_id)).first()
    if issuer is None:
        raise NotFoundError("issuer")
    key = None
    if chain_key is not None:
        # from the issuer's creation, or the first chain anchor if a node's clock put it
        # earlier: Blockcerts' verifier refuses a transaction older than the key
        first = session.scalar(
            select(func.min(AnchorBatch.anchored_at)).where(AnchorBatch.tx_hash != "")
        )
        since = min(issuer.created_at, first) if first is not None else issuer.created_at
        key = blockcerts.ChainKey(chain_key[0], chain_key[1], since)
    return blockcerts.issuer_profile(
        profile_id=urls.blockcerts_issuer(base_url, public_id),
        name=issuer.name,
        url=issuer.url,
        email=issuer.email,
        ledger=urls.ledger(base_url),
        revocation_list=urls.revocation_list(base_url, public_id),
        chain_key=key,
    )
