"""Which blockchain anchors our batches, from the settings (none: our log alone)."""

from __future__ import annotations

from datetime import datetime

from wallet.config import Settings
from wallet.openbadges.blockcerts import ChainReader
from wallet.services.anchoring.ethereum import (
    AnchorUnavailable,
    EthereumAnchor,
    TransactionSuperseded,
)
from wallet.services.anchoring.ethereum import PreparedTransaction as SignedTransaction
from wallet.services.anchoring.run import (
    Chain,
    ChainSuperseded,
    ChainUnavailable,
    PreparedTransaction,
)


class EthereumChain:
    """``run.Chain`` on an Ethereum node (``ethereum.EthereumAnchor``)."""

    def __init__(self, anchor: EthereumAnchor, network: str) -> None:
        self.anchor = anchor
        self.name = f"eth:{network}"

    def prepare(self, root: bytes) -> PreparedTransaction:
        try:
            signed = self.anchor.prepare(root)
        except AnchorUnavailable as error:
            raise ChainUnavailable(str(error)) from error
        return PreparedTransaction(signed.tx_hash, signed.raw, signed.nonce)

    def reprice(self, root: bytes, prepared: PreparedTransaction) -> PreparedTransaction:
        signed = SignedTransaction(
            prepared.tx_hash, prepared.raw, self.anchor.address, prepared.nonce
        )
        try:
            replacement = self.anchor.reprice(root, signed)
        except AnchorUnavailable as error:
            raise ChainUnavailable(str(error)) from error
        return PreparedTransaction(replacement.tx_hash, replacement.raw, replacement.nonce)

    def send(self, prepared: PreparedTransaction) -> None:
        signed = SignedTransaction(
            prepared.tx_hash, prepared.raw, self.anchor.address, prepared.nonce
        )
        try:
            self.anchor.send(signed)
        except TransactionSuperseded as error:
            raise ChainSuperseded(str(error)) from error
        except AnchorUnavailable as error:
            raise ChainUnavailable(str(error)) from error

    def confirmed_at(self, tx_hash: str) -> datetime | None:
        try:
            confirmation = self.anchor.confirmation(tx_hash)
        except AnchorUnavailable as error:
            raise ChainUnavailable(str(error)) from error
        return confirmation.mined_at if confirmation is not None else None

    def anchor_uri(self, tx_hash: str) -> str:
        return self.anchor.anchor_uri(tx_hash)


def chain_for(settings: Settings) -> Chain | None:
    anchor = EthereumAnchor.from_settings(settings)
    return EthereumChain(anchor, settings.eth_chain) if anchor is not None else None


def chain_key(settings: Settings) -> tuple[str, bytes] | None:
    """The issuing address and its public key (x || y), for the issuer profile."""
    anchor = EthereumAnchor.from_settings(settings)
    return (anchor.address, anchor.public_key) if anchor is not None else None


def reader_for(settings: Settings) -> ChainReader | None:
    """How verifiers here read the configured chain (None: they cannot read any)."""
    anchor = EthereumAnchor.from_settings(settings)
    return ChainReader(settings.eth_chain, anchor.transaction) if anchor is not None else None
