"""Our ledger: batch roots anchored in the transparency log, checked offline.

An anchored batch is one log entry (`batch_entry`): the text `badge-batch/v1\\n<root hex>\\n`.
A credential's MerkleProof2019 anchor `blink:tlog:v1:<origin>:<index>` names that entry. To
check it, a verifier needs only what the credential and the public ledger carry: the entry's
inclusion proof up to a signed checkpoint, and the log's published keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from wallet.openbadges.errors import ProofError
from wallet.openbadges.merkle2019 import MerkleProof, parse_tlog_anchor
from wallet.openbadges.signednote import SignedCheckpoint, Verifier, open_checkpoint
from wallet.openbadges.translog import leaf_hash, verify_consistency, verify_inclusion

BATCH_ENTRY = re.compile(rb"badge-batch/v1\n([0-9a-f]{64})\n")


def batch_entry(merkle_root: bytes) -> bytes:
    """The log entry that anchors one batch's Merkle root."""
    if len(merkle_root) != 32:
        raise ValueError("a Merkle root is 32 bytes")
    return b"badge-batch/v1\n" + merkle_root.hex().encode("ascii") + b"\n"


def parse_batch_entry(entry: bytes) -> bytes:
    """The Merkle root a batch entry anchors."""
    match = BATCH_ENTRY.fullmatch(entry)
    if match is None:
        raise ProofError("log.entry", "not a batch entry")
    return bytes.fromhex(match.group(1).decode("ascii"))


@dataclass(frozen=True)
class Inclusion:
    """An entry's inclusion proof up to the checkpoint it is checked against."""

    index: int
    tree_size: int
    hashes: tuple[bytes, ...]


def verify_log_anchor(
    proof: MerkleProof,
    inclusion: Inclusion,
    checkpoint_note: str,
    log_keys: Sequence[Verifier],
    *,
    now: datetime | None = None,
) -> SignedCheckpoint:
    """Check that the proof's Merkle root is in our log, under a checkpoint the log signed.

    The proof must carry a `blink:tlog:v1:` anchor naming the checkpoint's origin and the
    entry index; the entry `batch_entry(proof.merkle_root)` must be included at that index in
    the tree the checkpoint signs. Returns the opened checkpoint (its `signed_at` is the latest
    time the batch can have been anchored). Raises `ProofError` naming the failed check.
    """
    signed = open_checkpoint(checkpoint_note, log_keys, now=now)
    checkpoint = signed.checkpoint
    named = [parse_tlog_anchor(a) for a in proof.anchors if a.startswith("blink:tlog:")]
    if (checkpoint.origin, inclusion.index) not in named:
        raise ProofError("anchor.mismatch", "the proof does not name this log entry")
    if inclusion.tree_size != checkpoint.size:
        raise ProofError("log.inclusion", "the inclusion proof is for another tree size")
    verify_inclusion(
        inclusion.index,
        inclusion.tree_size,
        leaf_hash(batch_entry(proof.merkle_root)),
        inclusion.hashes,
        checkpoint.root_hash,
    )
    return signed


def verify_checkpoints_consistent(
    older_note: str,
    newer_note: str,
    proof: Sequence[bytes],
    log_keys: Sequence[Verifier],
) -> tuple[SignedCheckpoint, SignedCheckpoint]:
    """Check two signed checkpoints of one log and that the newer extends the older.

    Two signed heads that no consistency proof joins mean the log forked (showed different
    histories to different people): `ProofError` with code `log.consistency`.
    """
    older = open_checkpoint(older_note, log_keys)
    newer = open_checkpoint(newer_note, log_keys)
    if older.checkpoint.origin != newer.checkpoint.origin:
        raise ProofError("log.consistency", "the checkpoints are of different logs")
    if older.checkpoint.size > newer.checkpoint.size:
        older, newer = newer, older
    if older.checkpoint.size == 0 and not proof:
        return older, newer  # every log extends the empty one
    verify_consistency(
        older.checkpoint.size,
        newer.checkpoint.size,
        older.checkpoint.root_hash,
        newer.checkpoint.root_hash,
        proof,
    )
    return older, newer
