"""Anchoring: the nightly batches, each award's Blockcerts credential, and our public log.

A batch goes ``built`` (credentials written, Merkle root known) -> ``anchored`` (the root is
in the log, and on the chain when one is configured) -> ``complete`` (every credential has
its proof, the awards are issued, mail 2 is queued). Each step is one transaction, so a run
that stops anywhere is finished by the next one and nothing is anchored twice.

The log tables are append-only: nothing in the app updates or deletes their rows, and on
PostgreSQL a trigger refuses it even from a SQL prompt.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wallet.db import Base, UTCDateTime, utcnow
from wallet.models.issuing import Award


class BatchStatus(enum.StrEnum):
    BUILT = "built"
    ANCHORED = "anchored"
    COMPLETE = "complete"


class AnchorBatch(Base):
    __tablename__ = "anchor_batch"
    __table_args__ = (Index("ix_anchor_batch_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.BUILT)
    size: Mapped[int] = mapped_column(default=0)
    merkle_root: Mapped[str] = mapped_column(String(64))  # lowercase hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # our log: the entry that holds the root
    log_index: Mapped[int | None] = mapped_column(unique=True)
    # the chain, when configured: the signed transaction is kept before it is sent, so a
    # run that stops after sending re-sends the same transaction instead of a second one
    chain: Mapped[str] = mapped_column(String(32), default="")
    tx_hash: Mapped[str] = mapped_column(String(66), default="")
    raw_tx: Mapped[bytes | None] = mapped_column(LargeBinary)
    tx_nonce: Mapped[int | None] = mapped_column()
    tx_prepared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # signed when
    anchored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")

    credentials: Mapped[list[AnchoredCredential]] = relationship(
        back_populates="batch", order_by="AnchoredCredential.leaf_index"
    )


class AnchoredCredential(Base):
    """An award's Blockcerts credential: ``unsigned`` is the JSON hashed into the tree (kept
    as text, exactly as built); ``proof`` is its MerkleProof2019 once the batch is anchored."""

    __tablename__ = "anchored_credential"
    __table_args__ = (Index("ix_anchored_credential_batch", "batch_id", "leaf_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="CASCADE"), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("anchor_batch.id"))
    leaf_index: Mapped[int] = mapped_column()
    credential_id: Mapped[str] = mapped_column(String(64), unique=True)  # urn:uuid:...
    target_hash: Mapped[str] = mapped_column(String(64))
    unsigned: Mapped[str] = mapped_column(Text)
    proof: Mapped[dict[str, object] | None] = mapped_column(JSON)

    batch: Mapped[AnchorBatch] = relationship(back_populates="credentials")
    award: Mapped[Award] = relationship()


class LedgerEntry(Base):
    """One entry of the transparency log, at ``index`` (0, 1, 2, ...)."""

    __tablename__ = "ledger_entry"

    index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerCheckpoint(Base):
    """A signed checkpoint (C2SP signed note) of the log at ``size`` entries."""

    __tablename__ = "ledger_checkpoint"
    __table_args__ = (Index("ix_ledger_checkpoint_size", "size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column()
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerKey(Base):
    """A public key of the log (a signed-note vkey) and when it may sign. The private key
    never reaches the database: it comes from the settings (``WALLET_LEDGER_KEY``)."""

    __tablename__ = "ledger_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    vkey: Mapped[str] = mapped_column(String(200), unique=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
