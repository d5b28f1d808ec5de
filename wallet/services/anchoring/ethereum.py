"""The Ethereum anchor: a batch root in a transaction's data, as Blockcerts publishes it.

One transaction per batch, built as Blockcerts' issuer (cert-issuer) builds it: 0 ether from
the issuer's key to the burn address `0xdead...dead`, the data exactly the 32-byte Merkle root,
the gas what the node estimates such a transfer costs (`intrinsic_gas`: 22,280 at most). Each
proof then names it `blink:eth:<network>:0x<transaction hash>`.

Two phases, so that the daily job can be killed at any moment and anchor nothing twice:

1. `prepare(root)` signs the transaction locally (the node gives the nonce and the fees) and
   returns it whole, hash included, without sending anything. The job stores it with the
   batch before going on.
2. `send(prepared)` broadcasts the stored bytes. Sending the same signed transaction again is
   harmless: the chain holds each transaction once, and a node that already knows it (in its
   pool or mined) is not an error. After a crash the job sends what it stored; it never signs
   a second transaction for the same batch, unless `TransactionSuperseded` says that the
   stored one can never be mined.

`confirmation(tx_hash)` says whether and when it was mined; `transaction(tx_hash)` reads one
back for verification (`wallet.openbadges.ethanchor.verify_eth_anchor`).

A node that cannot be reached, times out or answers nonsense raises `AnchorUnavailable`;
one that answers with a refusal (no funds, wrong chain) raises `AnchorRejected`, a subclass:
either way nothing was decided, and the batch stays pending for a later try.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_account.types import TransactionDictType
from eth_keys.datatypes import PrivateKey
from web3 import Web3
from web3.exceptions import (
    TransactionIndexingInProgress,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)

from wallet.config import Settings
from wallet.openbadges.ethanchor import (
    BURN_ADDRESS,
    NETWORKS,
    ChainTransaction,
    EthAnchor,
    eth_anchor,
    parse_eth_anchor,
)

ROOT_BYTES = 32
BASE_GAS = 21_000  # a plain transfer
GAS_PER_ZERO_BYTE, GAS_PER_DATA_BYTE = 4, 16  # EIP-2028 calldata prices
FLOOR_GAS_PER_TOKEN = 10  # EIP-7623
DEFAULT_TIMEOUT = 10.0
# how much more of each fee a replacement must offer (geth's pool asks 10 %; a little more)
REPLACEMENT_BUMP = (1125, 1000)


class AnchorUnavailable(Exception):
    """The Ethereum node could not be reached or gave no usable answer: try again later."""


class AnchorRejected(AnchorUnavailable):
    """The node answered, and refused (no funds for the fee, another chain, ...)."""


class TransactionSuperseded(Exception):
    """The prepared transaction can never be mined: another transaction from the same key
    used its nonce. Nothing of it reached the chain; the batch needs a new `prepare`."""


@dataclass(frozen=True)
class PreparedTransaction:
    """A signed transaction, not necessarily sent: store it before calling `send`."""

    tx_hash: str  # "0x" + 64 lowercase hex digits
    raw: bytes
    sender: str  # checksummed address of the issuing key
    nonce: int


@dataclass(frozen=True)
class Confirmation:
    """Where and when a transaction was mined; `confirmations` counts its block too."""

    block_number: int
    block_hash: str
    mined_at: datetime  # the block's timestamp, UTC
    confirmations: int


def intrinsic_gas(data: bytes) -> int:
    """The gas a transfer carrying `data` uses (no contract runs at the burn address).

    Calldata costs 4 gas a zero byte and 16 any other (EIP-2028), but at least 10 gas a
    "token", a zero byte being one token and any other four (EIP-7623, Prague): a 32-byte root
    costs 22,280 gas at most.
    """
    zeros = data.count(0)
    standard = GAS_PER_ZERO_BYTE * zeros + GAS_PER_DATA_BYTE * (len(data) - zeros)
    floor = FLOOR_GAS_PER_TOKEN * (zeros + 4 * (len(data) - zeros))
    return BASE_GAS + max(standard, floor)


class EthereumAnchor:
    """Anchors roots on one Ethereum network through one node's JSON-RPC endpoint."""

    def __init__(
        self,
        *,
        rpc_url: str,
        chain_id: int,
        private_key: str,
        network: str,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if network not in NETWORKS:
            raise ValueError(f"Blockcerts names no Ethereum network {network!r}")
        if NETWORKS[network] != chain_id:
            raise ValueError(f"{network} is chain {NETWORKS[network]}, not {chain_id}")
        parts = urlsplit(rpc_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the node's RPC URL must be http(s)://host[:port]/...")
        self.network = network
        self.chain_id = chain_id
        self._account: LocalAccount = Account.from_key(private_key)
        # the URL may carry a provider's API key: errors name only the host
        self._where = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
        self._web3 = Web3(
            Web3.HTTPProvider(
                rpc_url,
                request_kwargs={"timeout": timeout},
                exception_retry_configuration=None,  # the job retries, with its own backoff
            )
        )
        self._chain_checked = False

    @classmethod
    def from_settings(cls, settings: Settings) -> EthereumAnchor | None:
        """The configured anchor, or None when no chain is configured."""
        if not settings.eth_rpc_url:
            return None
        return cls(
            rpc_url=settings.eth_rpc_url,
            chain_id=settings.eth_chain_id,
            private_key=settings.eth_private_key,
            network=settings.eth_chain,
        )

    def __repr__(self) -> str:
        return f"EthereumAnchor({self.network}, {self._where}, from {self.address})"

    @property
    def address(self) -> str:
        """The issuing key's address (checksummed), to publish in the issuer profile."""
        return str(self._account.address)

    @property
    def public_key(self) -> bytes:
        """The issuing key's uncompressed secp256k1 public key, without the 0x04 prefix."""
        return bytes(PrivateKey(bytes(self._account.key)).public_key.to_bytes())

    # --- anchor URIs ----------------------------------------------------------------------

    def anchor_uri(self, tx_hash: str) -> str:
        """`blink:eth:<network>:0x<hash>`, the anchor every proof of the batch carries."""
        return eth_anchor(self.network, tx_hash)

    def parse_anchor_uri(self, anchor: str) -> EthAnchor:
        """The transaction an anchor on this network names (`ProofError` otherwise)."""
        parsed = parse_eth_anchor(anchor)
        if parsed.network != self.network:
            raise ValueError(f"{anchor!r} is not on {self.network}")
        return parsed

    # --- the two phases -------------------------------------------------------------------

    def prepare(self, root: bytes) -> PreparedTransaction:
        """Sign (without sending) the transaction whose data is `root`."""
        if len(root) != ROOT_BYTES:
            raise ValueError("a Merkle root is 32 bytes")
        self._check_chain()
        with self._node("reading the nonce and fees"):
            nonce = self._web3.eth.get_transaction_count(self._account.address, "pending")
            return self._sign(root, nonce, self._market_fees())

    def reprice(self, root: bytes, prepared: PreparedTransaction) -> PreparedTransaction:
        """`prepared` (the transaction of `root`) signed again, same nonce, with higher
        fees: for one that waits unmined because the fees it offered are now too low. A
        node replaces a pooled transaction only for at least `REPLACEMENT_BUMP` more of
        each fee, so each fee is the market's or the old one raised by that much,
        whichever is higher. Store it before sending it, as with `prepare`."""
        if len(root) != ROOT_BYTES:
            raise ValueError("a Merkle root is 32 bytes")
        self._check_chain()
        old = self._find(prepared.tx_hash)
        with self._node("reading the fees"):
            fees = self._market_fees()
            if old is not None:
                numerator, denominator = REPLACEMENT_BUMP
                for name in fees:
                    raised = -(-int(old.get(name) or 0) * numerator // denominator)
                    fees[name] = max(fees[name], raised)
                if "maxFeePerGas" in fees:  # the tip may not exceed the fee cap
                    fees["maxFeePerGas"] = max(fees["maxFeePerGas"], fees["maxPriorityFeePerGas"])
            return self._sign(root, prepared.nonce, fees)

    def _market_fees(self) -> dict[str, int]:
        base_fee = self._web3.eth.get_block("latest").get("baseFeePerGas")
        if base_fee is None:  # a chain without EIP-1559
            return {"gasPrice": int(self._web3.eth.gas_price)}
        tip = int(self._web3.eth.max_priority_fee)
        return {"maxFeePerGas": 2 * int(base_fee) + tip, "maxPriorityFeePerGas": tip}

    def _sign(self, root: bytes, nonce: int, fees: dict[str, int]) -> PreparedTransaction:
        """Sign the transfer of `root` (inside `_node`: it asks the node for the gas)."""
        burn = Web3.to_checksum_address(BURN_ADDRESS)
        # the node knows its chain's current gas rules; nothing runs at the burn address
        gas = self._web3.eth.estimate_gas({"from": self._account.address, "to": burn, "data": root})
        transaction: TransactionDictType = {
            "chainId": self.chain_id,
            "nonce": nonce,
            "to": burn,
            "value": 0,
            "data": root,
            "gas": int(gas),
            **fees,
        }
        signed = self._account.sign_transaction(transaction)
        return PreparedTransaction(
            tx_hash="0x" + bytes(signed.hash).hex(),
            raw=bytes(signed.raw_transaction),
            sender=str(self._account.address),
            nonce=nonce,
        )

    def send(self, prepared: PreparedTransaction) -> None:
        """Broadcast a prepared transaction; again and again if need be."""
        self._check_chain()
        try:
            with self._node("sending the transaction"):
                self._web3.eth.send_raw_transaction(prepared.raw)
            return
        except AnchorRejected:
            # "already known", "nonce too low": fine if it is our own transaction
            if self._find(prepared.tx_hash) is not None:
                return
            with self._node("reading the nonce"):
                mined_nonce = self._web3.eth.get_transaction_count(
                    cast(Any, prepared.sender), "latest"
                )
            if mined_nonce > prepared.nonce:
                raise TransactionSuperseded(
                    f"nonce {prepared.nonce} of {prepared.sender} is used by another transaction"
                ) from None
            raise

    # --- reading back ---------------------------------------------------------------------

    def confirmation(self, tx_hash: str) -> Confirmation | None:
        """Where and when the transaction was mined; None while it is not (or unknown)."""
        self._check_chain()
        with self._node("reading the receipt"):
            try:
                receipt = self._web3.eth.get_transaction_receipt(cast(Any, tx_hash))
            except (TransactionNotFound, TransactionIndexingInProgress):
                return None
            if receipt.get("blockNumber") is None:
                return None
            block = self._web3.eth.get_block(receipt["blockNumber"])
            latest = self._web3.eth.block_number
        if receipt.get("status") == 0:
            raise AnchorRejected(f"transaction {tx_hash} failed on the chain")
        return Confirmation(
            block_number=int(receipt["blockNumber"]),
            block_hash="0x" + bytes(block["hash"]).hex(),
            mined_at=datetime.fromtimestamp(int(block["timestamp"]), UTC),
            confirmations=max(int(latest) - int(receipt["blockNumber"]) + 1, 1),
        )

    def transaction(self, tx_hash: str) -> ChainTransaction | None:
        """The transaction as the chain holds it (None: the node knows no such one)."""
        self._check_chain()
        found = self._find(tx_hash)
        if found is None:
            return None
        block_number = found.get("blockNumber")
        mined_at = None
        if block_number is not None:
            with self._node("reading the block"):
                timestamp = self._web3.eth.get_block(block_number)["timestamp"]
            mined_at = datetime.fromtimestamp(int(timestamp), UTC)
        return ChainTransaction(
            network=self.network,
            tx_hash="0x" + bytes(found["hash"]).hex(),
            data=bytes(found.get("input", b"")),
            sender=str(found["from"]),
            block_number=None if block_number is None else int(block_number),
            mined_at=mined_at,
        )

    def transaction_root(self, tx_hash: str) -> bytes | None:
        """The data of the transaction (the root it anchors), or None when unknown."""
        found = self.transaction(tx_hash)
        return None if found is None else found.data

    # --- the node -------------------------------------------------------------------------

    def _find(self, tx_hash: str) -> Any:
        with self._node("reading the transaction"):
            try:
                return self._web3.eth.get_transaction(cast(Any, tx_hash))
            except TransactionNotFound:
                return None

    def _check_chain(self) -> None:
        """Refuse a node of another chain (once per instance: a node does not change chain)."""
        if self._chain_checked:
            return
        with self._node("reading the chain id"):
            served = int(self._web3.eth.chain_id)
        if served != self.chain_id:
            raise AnchorRejected(
                f"the node at {self._where} serves chain {served}, not {self.chain_id}"
            )
        self._chain_checked = True

    @contextmanager
    def _node(self, doing: str) -> Iterator[None]:
        try:
            yield
        except Web3RPCError as error:
            if isinstance(error, TransactionIndexingInProgress):
                raise AnchorUnavailable(f"{self._where}: {doing}: still indexing") from error
            message = getattr(error, "message", None) or str(error)
            raise AnchorRejected(f"{self._where}: {doing}: {message}") from error
        except (requests.RequestException, OSError, Web3Exception, ValueError) as error:
            raise AnchorUnavailable(
                f"the Ethereum node at {self._where} did not answer ({doing}): "
                f"{type(error).__name__}"
            ) from error
