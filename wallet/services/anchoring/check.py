"""Check the whole log as a stranger would: every entry, checkpoint, signature and proof.

``flask ledger check`` runs this; so can anyone else from the ``/ledger`` JSON alone
(docs/anchoring.md shows how), since it uses nothing but what is published there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet import urls
from wallet.config import Settings
from wallet.models import AnchorBatch, AnchoredCredential, BatchStatus
from wallet.openbadges import blockcerts, merkle2019
from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.ledger import batch_entry, verify_checkpoints_consistent
from wallet.openbadges.signednote import open_checkpoint
from wallet.openbadges.translog import LogTree
from wallet.services.anchoring import log
from wallet.services.anchoring.credentials import signed_credential


@dataclass
class LogCheck:
    entries: int = 0
    checkpoints: int = 0
    batches: int = 0
    credentials: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_log(
    session: Session, settings: Settings, now: datetime, *, credentials: bool = True
) -> LogCheck:
    result = LogCheck()
    origin = urls.ledger_origin(settings.base_url)
    keys = log.verifiers(log.published_keys(session))
    entries = log.entries(session)
    result.entries = len(entries)
    for position, entry in enumerate(entries):
        if entry.index != position:
            result.problems.append(f"entry {position} is missing (found {entry.index})")
            return result
    tree = LogTree.from_entries(e.entry for e in entries)
    previous = None
    for checkpoint in log.checkpoints(session):
        result.checkpoints += 1
        label = f"checkpoint of size {checkpoint.size}"
        try:
            signed = open_checkpoint(checkpoint.note, keys, now=now)
        except OpenBadgesError as error:
            result.problems.append(f"{label}: {error}")
            continue
        if signed.checkpoint.origin != origin:
            result.problems.append(f"{label}: signed for another log ({signed.checkpoint.origin})")
        if signed.checkpoint.size > tree.size or signed.checkpoint.root_hash != tree.root(
            signed.checkpoint.size
        ):
            result.problems.append(f"{label}: its root is not the log's root at that size")
        if previous is not None:
            try:
                proof = tree.consistency_proof(previous.size, checkpoint.size)
                verify_checkpoints_consistent(previous.note, checkpoint.note, proof, keys)
            except (OpenBadgesError, ValueError) as error:
                result.problems.append(
                    f"{label}: not consistent with size {previous.size}: {error}"
                )
        previous = checkpoint
    batches = session.scalars(
        select(AnchorBatch).where(AnchorBatch.log_index.is_not(None)).order_by(AnchorBatch.id)
    ).all()
    for batch in batches:
        result.batches += 1
        index = batch.log_index
        root = bytes.fromhex(batch.merkle_root)
        if index is None or index >= len(entries) or entries[index].entry != batch_entry(root):
            result.problems.append(f"batch {batch.id}: its root is not log entry {index}")
    if credentials:
        _check_credentials(session, settings, now, result)
    return result


def _check_credentials(
    session: Session, settings: Settings, now: datetime, result: LogCheck
) -> None:
    source = log.DatabaseLog(session, settings.base_url)
    query = (
        select(AnchoredCredential)
        .join(AnchoredCredential.batch)
        .where(AnchorBatch.status == BatchStatus.COMPLETE)
        .order_by(AnchoredCredential.id)
    )
    for credential in session.scalars(query).yield_per(500):
        result.credentials += 1
        try:
            proof = merkle2019.verify_credential(signed_credential(credential))
            ours = [a for a in proof.anchors if a.startswith("blink:tlog:")]
            index = credential.batch.log_index
            if not ours and index is not None:  # chain-anchored: the root is in our log too
                ours = [merkle2019.tlog_anchor(urls.ledger_origin(settings.base_url), index)]
                proof = replace(proof, anchors=(*proof.anchors, *ours))
            if not ours:
                raise OpenBadgesError("the proof does not name our log")
            for anchor in ours:
                blockcerts.check_log_anchor(proof, anchor, source, now)
        except OpenBadgesError as error:
            result.problems.append(f"credential {credential.credential_id}: {error}")
