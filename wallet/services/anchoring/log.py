"""Our transparency log in the database: append an entry, sign a checkpoint, prove.

The log is named by its origin (``urls.ledger_origin``) and signs with one Ed25519 key at
a time (``WALLET_LEDGER_KEY``; development keeps a generated one in the instance folder).
The published key list carries each key's validity period: when the configured key
changes, the next append closes the old key's period and opens the new one's, so old
checkpoints keep verifying and the retired key can sign nothing new.

Nothing here updates or deletes an entry or a checkpoint (PostgreSQL refuses it too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet import urls
from wallet.config import ConfigurationError, Settings
from wallet.models import LedgerCheckpoint, LedgerEntry, LedgerKey
from wallet.openbadges.blockcerts import LogProof
from wallet.openbadges.errors import ProofError
from wallet.openbadges.signednote import Checkpoint, Signer, Verifier, sign_checkpoint
from wallet.openbadges.translog import LogTree


def signer_for(settings: Settings) -> Signer:
    """The log's signing key, named after the log's origin."""
    origin = urls.ledger_origin(settings.base_url)
    if settings.ledger_key:
        try:
            signer = Signer.from_skey(settings.ledger_key)
        except ProofError as error:
            raise ConfigurationError(f"WALLET_LEDGER_KEY: {error}") from None
        if signer.name != origin:
            raise ConfigurationError(f"WALLET_LEDGER_KEY must be named {origin!r}")
        return signer
    if settings.is_production:
        raise ConfigurationError("production needs WALLET_LEDGER_KEY (flask ledger new-key)")
    return _development_signer(settings.instance_path / "ledger_key", origin)


def _development_signer(path: Path, origin: str) -> Signer:
    if path.exists():
        signer = Signer.from_skey(path.read_text().strip())
        if signer.name == origin:
            return signer
    signer = Signer.generate(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(signer.skey() + "\n")
    path.chmod(0o600)
    return signer


def published_keys(session: Session) -> list[LedgerKey]:
    return list(session.scalars(select(LedgerKey).order_by(LedgerKey.valid_from, LedgerKey.id)))


def verifiers(keys: Sequence[LedgerKey]) -> list[Verifier]:
    return [Verifier.from_vkey(k.vkey, k.valid_from, k.valid_until) for k in keys]


def _publish_key(session: Session, signer: Signer, now: datetime) -> None:
    """Make ``signer`` the one current key (closing any other's period at ``now``).
    Periods are in whole seconds, as the signatures' timestamps are."""
    now = now.replace(microsecond=0)
    vkey = signer.verifier().vkey()
    keys = published_keys(session)
    if any(k.vkey == vkey and k.valid_until is None for k in keys):
        return
    if any(k.vkey == vkey for k in keys):
        raise ConfigurationError("WALLET_LEDGER_KEY was retired: a retired key never signs again")
    for key in keys:
        if key.valid_until is None:
            key.valid_until = now
    session.add(LedgerKey(vkey=vkey, valid_from=now))
    session.flush()


def size(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


def entries(session: Session, start: int = 0, limit: int | None = None) -> list[LedgerEntry]:
    query = select(LedgerEntry).where(LedgerEntry.index >= start).order_by(LedgerEntry.index)
    return list(session.scalars(query if limit is None else query.limit(limit)))


def latest_entries(session: Session, count: int) -> list[LedgerEntry]:
    query = select(LedgerEntry).order_by(LedgerEntry.index.desc()).limit(count)
    return list(session.scalars(query))


def tree(session: Session) -> LogTree:
    return LogTree.from_entries(e.entry for e in entries(session))


def append(session: Session, settings: Settings, entry: bytes, now: datetime) -> int:
    """Add ``entry`` at the end of the log and sign the new head; returns its index.

    Two runs appending at once both try the same index: the primary key lets one win and
    the other's transaction fail, to be retried by the next run.
    """
    signer = signer_for(settings)
    _publish_key(session, signer, now)
    log = tree(session)
    index = log.append(entry)
    session.add(LedgerEntry(index=index, entry=entry, created_at=now))
    head = Checkpoint(urls.ledger_origin(settings.base_url), log.size, log.root())
    session.add(
        LedgerCheckpoint(
            size=head.size,
            root_hash=head.root_hash.hex(),
            note=sign_checkpoint(head, signer, now),
            created_at=now,
        )
    )
    session.flush()
    return index


def latest_checkpoint(session: Session) -> LedgerCheckpoint | None:
    return session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc(), LedgerCheckpoint.id.desc())
    ).first()


def checkpoints(session: Session) -> list[LedgerCheckpoint]:
    return list(
        session.scalars(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.size, LedgerCheckpoint.id)
        )
    )


def entry_proof(session: Session, base_url: str, index: int) -> LogProof | None:
    """The entry at ``index`` with its inclusion proof up to the latest checkpoint."""
    head = latest_checkpoint(session)
    all_entries = entries(session)
    if head is None or not 0 <= index < min(head.size, len(all_entries)):
        return None
    log = LogTree.from_entries(e.entry for e in all_entries[: head.size])
    return LogProof(
        origin=urls.ledger_origin(base_url),
        index=index,
        entry=all_entries[index].entry,
        tree_size=head.size,
        hashes=tuple(log.inclusion_proof(index, head.size)),
        checkpoint=head.note,
    )


@dataclass(frozen=True)
class DatabaseLog:
    """``blockcerts.LogSource`` for our own log, read from the database."""

    session: Session
    base_url: str

    def proof(self, origin: str, index: int) -> LogProof:
        if origin != urls.ledger_origin(self.base_url):
            raise ProofError("anchor.unknown_log", f"not this site's log: {origin}")
        found = entry_proof(self.session, self.base_url, index)
        if found is None:
            raise ProofError("anchor.root_missing", "the log has no such entry")
        return found

    def keys(self, origin: str) -> Sequence[Verifier]:
        return verifiers(published_keys(self.session))
