"""Ethereum anchors as Blockcerts writes them, and the offline check of a transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wallet.openbadges import merkle2019
from wallet.openbadges.errors import ProofError
from wallet.openbadges.ethanchor import (
    ChainTransaction,
    eth_anchor,
    parse_eth_anchor,
    verify_eth_anchor,
)

TX = "0x" + "ab" * 32
OTHER_TX = "0x" + "cd" * 32
ISSUER = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
LEAVES = [merkle2019.sha256(bytes([i])) for i in range(3)]
ROOT = merkle2019.MerkleTree(LEAVES).root
MINED = datetime(2026, 4, 2, 3, 0, 12, tzinfo=UTC)


def proof_for(*anchors: str) -> merkle2019.MerkleProof:
    return merkle2019.batch_proofs(LEAVES, list(anchors))[1]


def chain_with(*transactions: ChainTransaction):  # type: ignore[no-untyped-def]
    known = {tx.tx_hash: tx for tx in transactions}
    return lambda tx_hash: known.get(tx_hash)


def mined(data: bytes = ROOT, tx_hash: str = TX, **changes: object) -> ChainTransaction:
    fields: dict[str, object] = {
        "network": "sepolia",
        "tx_hash": tx_hash,
        "data": data,
        "sender": ISSUER,
        "block_number": 7,
        "mined_at": MINED,
    }
    return ChainTransaction(**(fields | changes))  # type: ignore[arg-type]


def test_anchor_uris_are_blockcerts_and_round_trip_through_the_proof_value() -> None:
    uri = eth_anchor("sepolia", TX.upper().replace("0X", "0x"))
    assert uri == f"blink:eth:sepolia:{TX}"
    assert parse_eth_anchor(uri).tx_hash == TX
    decoded = merkle2019.MerkleProof.decode(proof_for(uri).encode())
    assert decoded.anchors == (uri,)
    for bad in (f"blink:eth:kovan:{TX}", "blink:eth:sepolia:0x12", f"blink:btc:mainnet:{TX}"):
        with pytest.raises(ProofError):
            parse_eth_anchor(bad)


def test_the_root_in_the_named_transaction_verifies() -> None:
    found = verify_eth_anchor(
        proof_for(eth_anchor("sepolia", TX)),
        network="sepolia",
        transaction=chain_with(mined()),
        issuing_addresses=[ISSUER.lower()],
    )
    assert found.mined_at == MINED


@pytest.mark.parametrize(
    ("anchors", "transactions", "code"),
    [
        # the chain transaction's data differs
        (
            [f"blink:eth:sepolia:{TX}"],
            [mined(data=merkle2019.sha256(b"other"))],
            "chain.data_mismatch",
        ),
        # data that merely starts with the root is not the root
        ([f"blink:eth:sepolia:{TX}"], [mined(data=ROOT + b"\0")], "chain.data_mismatch"),
        ([f"blink:eth:mainnet:{TX}"], [mined()], "anchor.wrong_chain"),
        (["blink:tlog:v1:badges.example.ac.jp%3A8443:4"], [mined()], "anchor.missing"),
        ([f"blink:eth:sepolia:{TX}"], [], "chain.not_found"),
        (
            [f"blink:eth:sepolia:{TX}"],
            [mined(block_number=None, mined_at=None)],
            "chain.unconfirmed",
        ),
        ([f"blink:eth:sepolia:{TX}"], [mined(sender="0x" + "11" * 20)], "chain.wrong_sender"),
    ],
)
def test_each_mismatch_is_named(
    anchors: list[str], transactions: list[ChainTransaction], code: str
) -> None:
    with pytest.raises(ProofError) as error:
        verify_eth_anchor(
            proof_for(*anchors),
            network="sepolia",
            transaction=chain_with(*transactions),
            issuing_addresses=[ISSUER],
        )
    assert error.value.code == code


def test_a_reader_answering_for_another_transaction_is_not_believed() -> None:
    liar = mined(tx_hash=OTHER_TX)
    with pytest.raises(ProofError) as error:
        verify_eth_anchor(
            proof_for(eth_anchor("sepolia", TX)),
            network="sepolia",
            transaction=lambda tx_hash: liar,
        )
    assert error.value.code == "chain.wrong_transaction"
