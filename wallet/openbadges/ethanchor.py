"""Ethereum anchors as Blockcerts writes them, and the check that a transaction holds a root.

Blockcerts' issuer (cert-issuer) publishes a batch's Merkle root as the whole data (`input`)
of a transaction of 0 ether to the burn address `0xdead...dead`, and names it in every proof's
anchors as `blink:eth:<network>:0x<transaction hash>`, the network being one Blockcerts
knows (`mainnet`, `sepolia`, ...; `merkle2019.CHAINS`). A verifier reads that transaction from
the network's chain and compares its data with the proof's `merkleRoot`, byte for byte.

No network here: the caller passes in a function that reads a transaction
(`wallet.services.anchoring.ethereum.EthereumAnchor.transaction` reads it from a node).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from wallet.openbadges.errors import ProofError
from wallet.openbadges.merkle2019 import CHAINS, MerkleProof

# network name -> chain id (EIP-155), as the proofValue encodes them
NETWORKS: dict[str, int] = dict(CHAINS["eth"][1])
BURN_ADDRESS = "0xdeaddeaddeaddeaddeaddeaddeaddeaddeaddead"

_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class EthAnchor:
    """One `blink:eth:` anchor: the network and the transaction hash (lowercase, `0x`)."""

    network: str
    tx_hash: str

    @property
    def uri(self) -> str:
        return f"blink:eth:{self.network}:{self.tx_hash}"


@dataclass(frozen=True)
class ChainTransaction:
    """A transaction as read from a network's chain; `block_number` None while not mined."""

    network: str
    tx_hash: str
    data: bytes
    sender: str
    block_number: int | None = None
    mined_at: datetime | None = None


def eth_anchor(network: str, tx_hash: str) -> str:
    """The anchor URI naming transaction `tx_hash` on `network`."""
    return parse_eth_anchor(f"blink:eth:{network}:{tx_hash}").uri


def parse_eth_anchor(anchor: str) -> EthAnchor:
    """The network and transaction a `blink:eth:` anchor names (`ProofError` otherwise)."""
    parts = anchor.split(":")
    if len(parts) != 4 or parts[:2] != ["blink", "eth"]:
        raise ProofError("anchor.unknown", f"not an Ethereum anchor: {anchor!r}")
    network, tx_hash = parts[2], parts[3]
    if network not in NETWORKS:
        raise ProofError("anchor.unknown", f"unknown Ethereum network {network!r}")
    if not _TX_HASH.fullmatch(tx_hash):
        raise ProofError("anchor.malformed", f"not a transaction hash: {tx_hash!r}")
    return EthAnchor(network, tx_hash.lower())


def find_eth_anchor(proof: MerkleProof, network: str) -> EthAnchor:
    """The proof's anchor on `network`: `anchor.missing` when the proof names no Ethereum
    transaction, `anchor.wrong_chain` when it names one on another network only."""
    anchors = [parse_eth_anchor(a) for a in proof.anchors if a.startswith("blink:eth:")]
    if not anchors:
        raise ProofError("anchor.missing", "the proof names no Ethereum transaction")
    for anchor in anchors:
        if anchor.network == network:
            return anchor
    named = ", ".join(sorted({anchor.network for anchor in anchors}))
    raise ProofError(
        "anchor.wrong_chain", f"the proof is anchored on Ethereum {named}, not on {network}"
    )


def verify_eth_anchor(
    proof: MerkleProof,
    *,
    network: str,
    transaction: Callable[[str], ChainTransaction | None],
    issuing_addresses: Collection[str] | None = None,
) -> ChainTransaction:
    """Check that the proof's root is the data of the transaction its anchor names.

    `transaction(tx_hash)` reads the transaction from `network` (None: not on that chain); its
    own errors (a node that cannot be reached) pass through, since they prove nothing either
    way. With `issuing_addresses`, the transaction must have been sent from one of them (the
    issuer's keys). Returns the transaction, whose block says when the root was anchored.

    Raises `ProofError`: `anchor.missing`, `anchor.wrong_chain`, `anchor.unknown`,
    `anchor.malformed`, `chain.not_found` (no such transaction on the chain),
    `chain.unconfirmed` (not mined yet), `chain.wrong_transaction` (the reader answered for
    another transaction or network), `chain.data_mismatch` (the transaction's data differs
    from the Merkle root), `chain.wrong_sender`.
    """
    anchor = find_eth_anchor(proof, network)
    found = transaction(anchor.tx_hash)
    if found is None:
        raise ProofError("chain.not_found", f"no transaction {anchor.tx_hash} on {network}")
    if found.network != network or found.tx_hash.lower() != anchor.tx_hash:
        raise ProofError("chain.wrong_transaction", "the chain answered for another transaction")
    if found.block_number is None:
        raise ProofError("chain.unconfirmed", f"transaction {anchor.tx_hash} is not mined yet")
    if not hmac.compare_digest(found.data, proof.merkle_root):
        raise ProofError(
            "chain.data_mismatch", "the chain transaction's data differs from the Merkle root"
        )
    if issuing_addresses is not None and found.sender.lower() not in {
        address.lower() for address in issuing_addresses
    }:
        raise ProofError("chain.wrong_sender", "the transaction was not sent by the issuer's key")
    return found
