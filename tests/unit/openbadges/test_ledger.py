"""A batch anchored in our log, checked offline from the credential and the public ledger."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wallet.openbadges import merkle2019
from wallet.openbadges.errors import ProofError
from wallet.openbadges.ledger import (
    Inclusion,
    batch_entry,
    parse_batch_entry,
    verify_checkpoints_consistent,
    verify_log_anchor,
)
from wallet.openbadges.signednote import Checkpoint, Signer, sign_checkpoint
from wallet.openbadges.translog import LogTree

ORIGIN = "badges.example.ac.jp/ledger"
NIGHT = datetime(2026, 4, 2, 3, 0, tzinfo=UTC)
TEMPLATE = Path(__file__).parent / "vectors" / "blockcerts" / "ethereum-sepolia-v3.json"


class World:
    """Ten earlier entries in the log, then tonight's batch of four credentials."""

    def __init__(self) -> None:
        self.key = Signer.generate(ORIGIN)
        self.keys = [self.key.verifier(NIGHT - timedelta(days=365))]
        self.tree = LogTree.from_entries(f"earlier {i}".encode() for i in range(10))
        self.old_note = self.sign()
        template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
        del template["proof"]
        self.credentials: list[dict[str, Any]] = []
        for i in range(4):
            document = copy.deepcopy(template)
            document["id"] = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
            document["credentialSubject"]["name"] = f"学生 {i}"
            self.credentials.append(document)
        leaves = [merkle2019.target_hash(c) for c in self.credentials]
        self.index = self.tree.size
        anchor = merkle2019.tlog_anchor(ORIGIN, self.index)
        proofs = merkle2019.batch_proofs(leaves, [anchor])
        self.tree.append(batch_entry(proofs[0].merkle_root))
        for document, proof in zip(self.credentials, proofs, strict=True):
            document["proof"] = merkle2019.proof_object(
                proof, created="2026-04-02T03:00:00Z", verification_method=f"{ORIGIN}#key"
            )
        self.note = self.sign()

    def sign(self) -> str:
        checkpoint = Checkpoint(ORIGIN, self.tree.size, self.tree.root())
        return sign_checkpoint(checkpoint, self.key, NIGHT)

    def inclusion(self) -> Inclusion:
        return Inclusion(self.index, self.tree.size, tuple(self.tree.inclusion_proof(self.index)))


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def test_every_credential_of_the_batch_verifies_against_the_log(world: World) -> None:
    for document in world.credentials:
        proof = merkle2019.verify_credential(document)
        signed = verify_log_anchor(proof, world.inclusion(), world.note, world.keys)
        assert signed.signed_at == NIGHT


def test_a_root_missing_from_the_log_is_not_genuine(world: World) -> None:
    proof = merkle2019.verify_credential(world.credentials[0])
    other = merkle2019.MerkleProof(bytes(32), proof.target_hash, proof.path, proof.anchors)
    with pytest.raises(ProofError) as raised:
        verify_log_anchor(other, world.inclusion(), world.note, world.keys)
    assert raised.value.code == "log.inclusion"


def test_an_anchor_naming_another_entry_or_log_is_not_genuine(world: World) -> None:
    proof = merkle2019.verify_credential(world.credentials[0])
    inclusion = world.inclusion()
    wrong = Inclusion(inclusion.index - 1, inclusion.tree_size, inclusion.hashes)
    with pytest.raises(ProofError, match="entry"):
        verify_log_anchor(proof, wrong, world.note, world.keys)
    elsewhere = merkle2019.MerkleProof(
        proof.merkle_root,
        proof.target_hash,
        proof.path,
        (merkle2019.tlog_anchor("other.example/log", world.index),),
    )
    with pytest.raises(ProofError) as raised:
        verify_log_anchor(elsewhere, world.inclusion(), world.note, world.keys)
    assert raised.value.code == "anchor.mismatch"


def test_an_inclusion_proof_for_another_checkpoint_is_refused(world: World) -> None:
    proof = merkle2019.verify_credential(world.credentials[0])
    with pytest.raises(ProofError, match="tree size"):
        verify_log_anchor(proof, world.inclusion(), world.old_note, world.keys)


def test_a_checkpoint_signed_by_another_key_is_not_genuine(world: World) -> None:
    proof = merkle2019.verify_credential(world.credentials[0])
    forged = sign_checkpoint(
        Checkpoint(ORIGIN, world.tree.size, world.tree.root()), Signer.generate(ORIGIN), NIGHT
    )
    with pytest.raises(ProofError):
        verify_log_anchor(proof, world.inclusion(), forged, world.keys)


def test_the_log_only_grew_between_two_checkpoints(world: World) -> None:
    proof = world.tree.consistency_proof(10)
    older, newer = verify_checkpoints_consistent(world.old_note, world.note, proof, world.keys)
    assert (older.checkpoint.size, newer.checkpoint.size) == (10, 11)


def test_a_forked_log_is_detected(world: World) -> None:
    fork = LogTree.from_entries(f"earlier {i}".encode() for i in range(9))
    fork.append(b"a different tenth entry")
    fork.append(batch_entry(bytes(32)))
    fork_note = sign_checkpoint(Checkpoint(ORIGIN, fork.size, fork.root()), world.key, NIGHT)
    with pytest.raises(ProofError) as raised:
        verify_checkpoints_consistent(
            world.old_note, fork_note, fork.consistency_proof(10), world.keys
        )
    assert raised.value.code == "log.consistency"


def test_batch_entries_round_trip_and_nothing_else_parses() -> None:
    root = bytes(range(32))
    assert parse_batch_entry(batch_entry(root)) == root
    with pytest.raises(ProofError):
        parse_batch_entry(b"badge-batch/v1\n" + b"zz" * 32 + b"\n")
