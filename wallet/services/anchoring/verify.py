"""Is one of our anchored awards genuine? Its credential, checked against our log.

The share page, ``/verify`` and the wallet ask this for issued anchored awards. The log
anchor is checked every time, from the database, exactly as a stranger would from
``/ledger``: leaf, path, root, entry, inclusion proof, signed checkpoint, key validity. A
chain anchor is shown as the run recorded it when the chain confirmed it (the chain itself
is read by external verifiers and by ``flask ledger check``, not on every page view).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from wallet import urls
from wallet.models import Award
from wallet.openbadges import blockcerts, merkle2019
from wallet.openbadges.errors import OpenBadgesError
from wallet.services.anchoring import log
from wallet.services.anchoring.credentials import credential_of, signed_credential


@dataclass(frozen=True)
class AnchorFacts:
    """Where and when an award's batch was anchored, for a page to show and link."""

    anchored_at: datetime | None
    log_index: int | None
    entry_url: str
    chain: str = ""
    tx_hash: str = ""


@dataclass(frozen=True)
class AnchorResult:
    genuine: bool
    reason: str  # a ProofError code when not genuine (``credential.hash_mismatch``...)
    detail: str
    facts: AnchorFacts | None


def check_award(session: Session, award: Award, base_url: str, now: datetime) -> AnchorResult:
    """The anchoring verdict on an issued anchored award."""
    credential = credential_of(session, award)
    if credential is None:
        return AnchorResult(False, "anchor.missing", "no anchored credential", None)
    source = log.DatabaseLog(session, base_url)
    batch = credential.batch
    try:
        proof = merkle2019.verify_credential(signed_credential(credential))
        ours = [a for a in proof.anchors if a.startswith("blink:tlog:")]
        if not ours and batch.log_index is not None:
            # a chain-anchored batch: the proof names the transaction only, and the same
            # root is in our log at the batch's entry
            ours = [merkle2019.tlog_anchor(urls.ledger_origin(base_url), batch.log_index)]
            proof = replace(proof, anchors=(*proof.anchors, *ours))
        checks = [blockcerts.check_log_anchor(proof, anchor, source, now) for anchor in ours]
        if not checks:
            raise OpenBadgesError("the proof does not name our log")
    except OpenBadgesError as error:
        return AnchorResult(False, getattr(error, "code", "anchor.invalid"), str(error), None)
    index = checks[0].index
    return AnchorResult(
        True,
        "",
        "",
        AnchorFacts(
            anchored_at=batch.anchored_at or checks[0].anchored_by,
            log_index=index,
            entry_url=urls.ledger_entry(base_url, index) if index is not None else "",
            chain=batch.chain,
            tx_hash=batch.tx_hash,
        ),
    )
