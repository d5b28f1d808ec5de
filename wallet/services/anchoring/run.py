"""The daily anchoring run: pending awards -> Blockcerts credentials -> one anchored batch.

Three steps, each one transaction, so a run stopped anywhere (killed, database restarted,
chain node down) is finished by the next and nothing is anchored or issued twice:

1. **build**: every pending anchored award with no credential yet gets its credential and
   leaf (SHA-256 of the canonical form); one ``AnchorBatch`` holds the Merkle root. An award
   belongs to at most one batch (``anchored_credential.award_id`` is unique).
2. **anchor**: with a chain configured, the signed transaction is stored *before* it is
   sent, and re-sent (the same transaction) until the chain confirms it; a chain that is down
   leaves the batch built, retried with backoff. Then the root becomes an entry of our log
   under a new signed checkpoint, and the batch is ``anchored``.
3. **complete**: every credential receives its MerkleProof2019 proof naming the anchors;
   the awards become issued and mail 2 is queued.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, exists, insert, select, update
from sqlalchemy.orm import Session, joinedload

from wallet import urls
from wallet.config import Settings
from wallet.models import (
    AnchorBatch,
    AnchoredCredential,
    Award,
    AwardState,
    BadgeClass,
    BatchStatus,
    OutboxMail,
    User,
)
from wallet.openbadges import blockcerts, merkle2019
from wallet.openbadges.ledger import batch_entry
from wallet.services import documents
from wallet.services.anchoring import log
from wallet.services.badges import issued_mail
from wallet.services.ob3 import issuing as ob3_issuing

MAX_BATCH = 50_000
LONGEST_RETRY = timedelta(hours=6)
# a chain transaction still unmined this long after it was signed is signed again with
# higher fees (its own were outbid: the base fee rose, or the tip was too small)
REPRICE_AFTER = timedelta(hours=1)
_CREDENTIALS = cast(Table, AnchoredCredential.__table__)


class ChainUnavailable(Exception):
    """The chain node could not be reached or refused the transaction for now."""


class ChainSuperseded(Exception):
    """The stored transaction can never be mined (its nonce was used by another one)."""


@dataclass(frozen=True)
class PreparedTransaction:
    tx_hash: str
    raw: bytes
    nonce: int


class Chain(Protocol):
    """An anchor on a blockchain (``chains.EthereumChain``)."""

    name: str  # as in anchor URIs: "eth:sepolia"

    def prepare(self, root: bytes) -> PreparedTransaction: ...

    def reprice(self, root: bytes, prepared: PreparedTransaction) -> PreparedTransaction: ...

    def send(self, prepared: PreparedTransaction) -> None: ...

    def confirmed_at(self, tx_hash: str) -> datetime | None: ...

    def anchor_uri(self, tx_hash: str) -> str: ...


@dataclass
class RunReport:
    built: int = 0
    anchored: int = 0
    issued: int = 0
    waiting: list[str] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    """After the ``attempts``-th failure: 5 min, 10 min, 20 min, ... at most 6 h."""
    delay: timedelta = timedelta(minutes=5) * 2 ** max(attempts - 1, 0)
    return min(delay, LONGEST_RETRY)


# -- 1. build ----------------------------------------------------------------------------


def _content(award: Award, settings: Settings, now: datetime) -> blockcerts.CredentialContent:
    badge = award.badge_class
    base = settings.base_url
    return blockcerts.CredentialContent(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        issuer_profile=urls.blockcerts_issuer(base, badge.issuer.public_id),
        issued=now,
        expires=award.expires_at,
        recipient_name=award.recipient_name,
        achievement_id=documents.badge_class_url(base, badge),
        achievement_name=badge.name,
        achievement_description=badge.description,
        criteria=badge.criteria_text or badge.criteria_url,
        image_url=documents.image_url(base, badge.image_sha256),
        metadata={"openBadgesAssertion": documents.assertion_url(base, award)},
    )


def _unanchored(session: Session, limit: int) -> list[Award]:
    query = (
        select(Award)
        .join(Award.badge_class)
        .options(joinedload(Award.badge_class).joinedload(BadgeClass.issuer))
        .where(
            Award.state == AwardState.PENDING,
            Award.revoked_at.is_(None),
            ~exists().where(AnchoredCredential.award_id == Award.id),
        )
        .order_by(Award.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Award, skip_locked=True)
    return list(session.scalars(query).unique())


def build_batch(session: Session, settings: Settings, now: datetime) -> AnchorBatch | None:
    """Turn the waiting awards (at most ``MAX_BATCH``) into one built batch; not committed."""
    awards = _unanchored(session, MAX_BATCH)
    if not awards:
        return None
    rows, leaves = [], []
    for index, award in enumerate(awards):
        credential = blockcerts.build_credential(_content(award, settings, now))
        leaf = merkle2019.target_hash(credential)
        leaves.append(leaf)
        rows.append(
            {
                "award_id": award.id,
                "leaf_index": index,
                "credential_id": credential["id"],
                "target_hash": leaf.hex(),
                "unsigned": json.dumps(credential, ensure_ascii=False),
            }
        )
    tree = merkle2019.MerkleTree(leaves)
    batch = AnchorBatch(size=len(awards), merkle_root=tree.root.hex(), created_at=now)
    session.add(batch)
    session.flush()
    session.execute(insert(_CREDENTIALS), [{**row, "batch_id": batch.id} for row in rows])
    return batch


# -- 2. anchor ---------------------------------------------------------------------------


def anchor_batch(
    session: Session, settings: Settings, batch: AnchorBatch, now: datetime, chain: Chain | None
) -> bool:
    """Anchor a built batch; False when the chain has not confirmed it yet (try later).
    Commits the stored transaction before sending it."""
    root = bytes.fromhex(batch.merkle_root)
    if chain is not None:
        try:
            if not batch.tx_hash:
                _store(session, batch, chain.name, chain.prepare(root), now)
            stored = PreparedTransaction(
                batch.tx_hash, cast(bytes, batch.raw_tx), cast(int, batch.tx_nonce)
            )
            chain.send(stored)
            confirmed = chain.confirmed_at(batch.tx_hash)
            signed_at = batch.tx_prepared_at or batch.created_at
            if confirmed is None and now - signed_at >= REPRICE_AFTER:
                # the fees it offered are too low now: the same nonce, higher fees
                replacement = chain.reprice(root, stored)
                _store(session, batch, chain.name, replacement, now)
                batch.attempts = 0  # look again soon
                chain.send(replacement)
                confirmed = chain.confirmed_at(replacement.tx_hash)
        except ChainSuperseded as error:
            # never minable: the next try signs a new transaction for this batch
            batch.tx_hash, batch.raw_tx, batch.tx_nonce = "", None, None
            batch.tx_prepared_at = None
            _postpone(batch, now, str(error))
            return False
        except ChainUnavailable as error:
            _postpone(batch, now, str(error) or "the chain is unavailable")
            return False
        if confirmed is None:
            _postpone(batch, now, "waiting for the chain to confirm the transaction")
            return False
        batch.anchored_at = confirmed
    batch.log_index = log.append(session, settings, batch_entry(root), now)
    batch.anchored_at = batch.anchored_at or now
    batch.status = BatchStatus.ANCHORED
    batch.last_error = ""
    return True


def _store(
    session: Session, batch: AnchorBatch, chain: str, prepared: PreparedTransaction, now: datetime
) -> None:
    """Keep the signed transaction with its batch, committed, before it is sent: after a
    crash the next run sends the same one rather than signing another."""
    batch.chain, batch.tx_hash = chain, prepared.tx_hash
    batch.raw_tx, batch.tx_nonce = prepared.raw, prepared.nonce
    batch.tx_prepared_at = now
    session.commit()


def _postpone(batch: AnchorBatch, now: datetime, reason: str) -> None:
    batch.attempts += 1
    batch.retry_after = now + retry_delay(batch.attempts)
    batch.last_error = reason


# -- 3. complete -------------------------------------------------------------------------


def anchors_of(batch: AnchorBatch, settings: Settings, chain: Chain | None) -> list[str]:
    """The batch's anchor URIs in its proofs: the chain transaction when there is one (the
    only anchor, since Blockcerts' verifier refuses a proof naming a chain it does not know;
    the root is in our log all the same, at ``batch.log_index``), else our log entry."""
    if batch.tx_hash and chain is not None:
        return [chain.anchor_uri(batch.tx_hash)]
    origin = urls.ledger_origin(settings.base_url)
    return [merkle2019.tlog_anchor(origin, cast(int, batch.log_index))]


def verification_method(badge: BadgeClass, settings: Settings, batch: AnchorBatch) -> str:
    """The issuer profile's key that anchored the batch: its chain key (``#key-1``, as
    Blockcerts' verifier looks it up), or our log (``#ledger``)."""
    profile = urls.blockcerts_issuer(settings.base_url, badge.issuer.public_id)
    return profile + ("#key-1" if batch.tx_hash else "#ledger")


def complete_batch(
    session: Session, settings: Settings, batch: AnchorBatch, now: datetime, chain: Chain | None
) -> int:
    """Give every credential its proof, issue the awards, queue mail 2; returns how many
    awards were issued (revoked meanwhile: anchored, but not issued or mailed)."""
    rows = session.execute(
        select(AnchoredCredential.id, AnchoredCredential.target_hash, Award, User)
        .join(Award, AnchoredCredential.award_id == Award.id)
        .outerjoin(User, Award.user_id == User.id)
        .where(AnchoredCredential.batch_id == batch.id)
        .order_by(AnchoredCredential.leaf_index)
    ).all()
    leaves = [bytes.fromhex(row.target_hash) for row in rows]
    proofs = merkle2019.batch_proofs(leaves, anchors_of(batch, settings, chain))
    # never later than now: a chain's block clock may run ahead, and a Blockcerts verifier
    # refuses a proof created in the future ("not yet valid")
    created = blockcerts.rfc3339(min(cast(datetime, batch.anchored_at), now))
    badges = {
        b.id: b
        for b in session.scalars(
            select(BadgeClass)
            .options(joinedload(BadgeClass.issuer))
            .where(BadgeClass.id.in_({row.Award.badge_class_id for row in rows}))
        )
    }
    proof_rows, issued_ids, mails = [], [], []
    issued_awards: list[Award] = []
    for row, proof in zip(rows, proofs, strict=True):
        award, badge = row.Award, badges[row.Award.badge_class_id]
        method = verification_method(badge, settings, batch)
        proof_rows.append(
            {
                "id": row.id,
                "proof": merkle2019.proof_object(
                    proof, created=created, verification_method=method
                ),
            }
        )
        if award.state != AwardState.PENDING or award.is_revoked:
            continue
        issued_ids.append({"id": award.id, "state": AwardState.ISSUED, "issued_at": now})
        issued_awards.append(award)
        if row.User is not None:
            mails.append(issued_mail(row.User, award.id, badge, settings.base_url))
    # bulk statements: one batch is up to 50,000 awards
    session.execute(update(AnchoredCredential), proof_rows)
    if issued_ids:
        session.execute(update(Award), issued_ids)
    if mails:
        session.execute(insert(OutboxMail), mails)
    # each issued badge's Open Badges 3.0 credential, signed in bulk too
    ob3_issuing.issue_credentials(session, settings, issued_awards, now)
    issued = len(issued_ids)
    batch.status = BatchStatus.COMPLETE
    batch.completed_at = now
    return issued


# -- the run ---------------------------------------------------------------------------


def _open_batches(session: Session, now: datetime) -> list[AnchorBatch]:
    return list(
        session.scalars(
            select(AnchorBatch)
            .where(AnchorBatch.status != BatchStatus.COMPLETE)
            .where((AnchorBatch.retry_after.is_(None)) | (AnchorBatch.retry_after <= now))
            .order_by(AnchorBatch.id)
        )
    )


def finish(
    session: Session, settings: Settings, batch: AnchorBatch, now: datetime, chain: Chain | None
) -> RunReport:
    report = RunReport()
    if batch.status == BatchStatus.BUILT:
        if not anchor_batch(session, settings, batch, now, chain):
            report.waiting.append(batch.last_error)
            session.commit()
            return report
        session.commit()
        report.anchored += batch.size
    report.issued += complete_batch(session, settings, batch, now, chain)
    session.commit()
    return report


def run_anchoring(
    session: Session, settings: Settings, now: datetime, chain: Chain | None = None
) -> RunReport:
    """Finish what an earlier run left, then build, anchor and complete new batches."""
    total = RunReport()
    for open_batch in _open_batches(session, now):
        _add(total, finish(session, settings, open_batch, now, chain))
    while (batch := build_batch(session, settings, now)) is not None:
        total.built += batch.size
        session.commit()
        step = finish(session, settings, batch, now, chain)
        _add(total, step)
        if step.waiting:
            break
    return total


def _add(total: RunReport, step: RunReport) -> None:
    total.built += step.built
    total.anchored += step.anchored
    total.issued += step.issued
    total.waiting += step.waiting


# -- when a run is due -------------------------------------------------------------------


def last_scheduled_run(now: datetime, timezone: str, run_time: str) -> datetime:
    """The latest scheduled run time at or before ``now`` (today's, or yesterday's)."""
    local = now.astimezone(ZoneInfo(timezone))
    today = datetime.combine(local.date(), time.fromisoformat(run_time), tzinfo=local.tzinfo)
    return today if today <= local else today - timedelta(days=1)


def is_due(session: Session, settings: Settings, now: datetime) -> bool:
    """A run is due when an award accepted before the last scheduled run time still waits
    (so a worker that was down at 03:00 catches up when it starts), or a batch waiting for
    the chain may be tried again."""
    boundary = last_scheduled_run(now, settings.timezone, settings.anchoring_time)
    waiting = select(Award.id).where(
        Award.state == AwardState.PENDING,
        Award.revoked_at.is_(None),
        Award.accepted_at < boundary,
        ~exists().where(AnchoredCredential.award_id == Award.id),
    )
    retry = select(AnchorBatch.id).where(
        AnchorBatch.status != BatchStatus.COMPLETE,
        (AnchorBatch.retry_after.is_(None)) | (AnchorBatch.retry_after <= now),
    )
    return bool(session.scalar(select(exists(waiting))) or session.scalar(select(exists(retry))))


def run_if_due(
    session: Session, settings: Settings, now: datetime, chain: Chain | None, *, force: bool = False
) -> RunReport | None:
    """The run, when it is due (or ``force``); None when nothing was due."""
    if not force and not is_due(session, settings, now):
        return None
    return run_anchoring(session, settings, now, chain)


def describe(report: RunReport) -> str:
    summary = (
        f"{report.built} credentials built, {report.anchored} anchored, {report.issued} issued"
    )
    return summary + ("; waiting: " + "; ".join(report.waiting) if report.waiting else "")
