"""Blockcerts v3 credentials for anchored badges: what we issue, and the offline check.

A credential is a W3C Verifiable Credential (data model 1.1, the form Blockcerts v3 and its
verifier read) whose subject is the student's achievement. It is anchored in a batch
(`merkle2019`): its proof leads from its own hash to the batch's Merkle root, and the root's
anchors say where that root was published: our transparency log (`ledger`) and, when one is
configured, an Ethereum transaction.

`verify_anchored` checks a credential without going online: the caller hands in how to read
the log's published proof documents and keys (`LogSource`) and, for chain anchors, the
transaction's data. The app reads them from its database; anyone else from `/ledger`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from wallet.openbadges.errors import OpenBadgesError, ProofError
from wallet.openbadges.ethanchor import ChainTransaction, parse_eth_anchor, verify_eth_anchor
from wallet.openbadges.ledger import Inclusion, batch_entry, verify_log_anchor
from wallet.openbadges.merkle2019 import MerkleProof, parse_tlog_anchor, verify_credential
from wallet.openbadges.signednote import Verifier

CONTEXTS = ("https://www.w3.org/2018/credentials/v1", "https://w3id.org/blockcerts/v3")
TYPES = ("VerifiableCredential", "BlockcertsCredential")
MAX_INCLUSION = 64


def rfc3339(moment: datetime) -> str:
    """A moment as Blockcerts and VC 1.1 dates are written: UTC, whole seconds, `Z`."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class CredentialContent:
    """What an anchored badge says. `credential_id` is a `urn:uuid:`; `achievement_id` the
    badge class's URL; `issuer_profile` the URL of the issuer's Blockcerts profile."""

    credential_id: str
    issuer_profile: str
    issued: datetime
    expires: datetime | None
    recipient_name: str
    achievement_id: str
    achievement_name: str
    achievement_description: str
    criteria: str
    image_url: str
    metadata: Mapping[str, str]


def _display(content: CredentialContent) -> str:
    """What a Blockcerts viewer shows: every text escaped (names are the student's words)."""
    name, recipient = html.escape(content.achievement_name), html.escape(content.recipient_name)
    image = html.escape(content.image_url, quote=True)
    return (
        f'<section><img src="{image}" alt="" width="120" height="120">'
        f"<h1>{name}</h1><p>{recipient}</p></section>"
    )


def build_credential(content: CredentialContent) -> dict[str, Any]:
    """The unsigned credential (no `proof`): every term is defined by its contexts, so the
    fallback vocabulary check of `merkle2019.target_hash` passes."""
    claim: dict[str, Any] = {
        "id": content.achievement_id,
        "name": content.achievement_name,
        "description": content.achievement_description,
    }
    if content.criteria:
        claim["criteria"] = content.criteria
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": content.credential_id,
        "type": list(TYPES),
        "issuer": content.issuer_profile,
        "issuanceDate": rfc3339(content.issued),
        "credentialSubject": {"name": content.recipient_name, "claim": claim},
        "metadata": json.dumps(dict(content.metadata), ensure_ascii=False, sort_keys=True),
        "display": {"contentMediaType": "text/html", "content": _display(content)},
    }
    if content.expires is not None:
        credential["expirationDate"] = rfc3339(content.expires)
    return credential


@dataclass(frozen=True)
class ChainKey:
    """The Ethereum key that anchors batches: its address, public key (x || y) and since when."""

    address: str
    public_key: bytes
    created: datetime


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def issuer_profile(
    *,
    profile_id: str,
    name: str,
    url: str,
    email: str,
    ledger: str,
    revocation_list: str,
    chain_key: ChainKey | None = None,
) -> dict[str, Any]:
    """The issuer's Blockcerts v3 profile: where our log is published (`ledger`), the
    revocation list, and with a chain the key that anchors batches, both as Blockcerts'
    `publicKey` (address with its start) and as `verificationMethod` `#key-1` (a secp256k1
    JWK, from which Blockcerts' verifier derives the address again)."""
    profile: dict[str, Any] = {
        "@context": ["https://w3id.org/openbadges/v2", "https://w3id.org/blockcerts/v3"],
        "type": "Profile",
        "id": profile_id,
        "name": name,
        "url": url,
        "email": email,
        "ledger": ledger,
        "revocationList": revocation_list,
    }
    if chain_key is not None:
        key = chain_key.public_key
        profile["publicKey"] = [
            {
                "id": f"ecdsa-koblitz-pubkey:{chain_key.address}",
                "created": rfc3339(chain_key.created),
            }
        ]
        profile["verificationMethod"] = [
            {
                "id": f"{profile_id}#key-1",
                "type": "EcdsaSecp256k1VerificationKey2019",
                "controller": profile_id,
                "publicKeyJwk": {
                    "kty": "EC",
                    "crv": "secp256k1",
                    "x": _b64url(key[:32]),
                    "y": _b64url(key[32:]),
                },
            }
        ]
    return profile


# -- the log's published proof of one entry ---------------------------------------------


@dataclass(frozen=True)
class LogProof:
    """What `/ledger/entries/<index>` publishes: the entry, its inclusion proof and the
    signed checkpoint the proof leads to."""

    origin: str
    index: int
    entry: bytes
    tree_size: int
    hashes: tuple[bytes, ...]
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "index": self.index,
            "entry": base64.b64encode(self.entry).decode("ascii"),
            "tree_size": self.tree_size,
            "inclusion": [h.hex() for h in self.hashes],
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, data: Any) -> LogProof:
        try:
            hashes = tuple(bytes.fromhex(h) for h in data["inclusion"])
            proof = cls(
                origin=str(data["origin"]),
                index=int(data["index"]),
                entry=base64.b64decode(data["entry"], validate=True),
                tree_size=int(data["tree_size"]),
                hashes=hashes,
                checkpoint=str(data["checkpoint"]),
            )
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise ProofError("log.malformed", "the log's proof document is malformed") from None
        if len(hashes) > MAX_INCLUSION or any(len(h) != 32 for h in hashes):
            raise ProofError("log.malformed", "the inclusion proof is malformed")
        return proof


def keys_from_json(data: Any) -> list[Verifier]:
    """The log's keys as `/ledger` publishes them: `[{"vkey", "valid_from", "valid_until"}]`."""
    try:
        return [
            Verifier.from_vkey(
                item["vkey"],
                _parse_time(item.get("valid_from")),
                _parse_time(item.get("valid_until")),
            )
            for item in data
        ]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ProofError("log.malformed", "the log's key list is malformed") from None


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time without its zone")
    return moment


class LogSource(Protocol):
    """Where a verifier reads a log's proof of one entry, and the log's published keys."""

    def proof(self, origin: str, index: int) -> LogProof: ...

    def keys(self, origin: str) -> Sequence[Verifier]: ...


@dataclass(frozen=True)
class ChainReader:
    """How to read the Ethereum network the verifier can reach: its Blockcerts name
    (`mainnet`, `sepolia`) and a transaction reader (`ethanchor.verify_eth_anchor`'s)."""

    network: str
    transaction: Callable[[str], ChainTransaction | None]


@dataclass(frozen=True)
class AnchorCheck:
    """One anchor found holding the batch root: where (`kind`, `anchor`) and the latest time
    the root can have been published (the checkpoint's signing time, or the block's)."""

    kind: Literal["tlog", "eth"]
    anchor: str
    anchored_by: datetime | None
    index: int | None = None


def check_log_anchor(
    proof: MerkleProof, anchor: str, source: LogSource, now: datetime
) -> AnchorCheck:
    """Find the proof's root in our log's entry that ``anchor`` names, under a checkpoint
    signed by a key of the log that was valid when it signed."""
    origin, index = parse_tlog_anchor(anchor)
    published = source.proof(origin, index)
    if published.origin != origin or published.index != index:
        raise ProofError("anchor.mismatch", "the log answered for another entry")
    if not hmac.compare_digest(published.entry, batch_entry(proof.merkle_root)):
        raise ProofError("anchor.root_missing", "the log entry holds another Merkle root")
    signed = verify_log_anchor(
        proof,
        Inclusion(index, published.tree_size, published.hashes),
        published.checkpoint,
        source.keys(origin),
        now=now,
    )
    return AnchorCheck("tlog", anchor, signed.signed_at, index)


def _check_chain(
    proof: MerkleProof, anchor: str, chain: ChainReader | None, issuing: Collection[str] | None
) -> AnchorCheck:
    if chain is None or parse_eth_anchor(anchor).network != chain.network:
        raise ProofError("anchor.chain_unavailable", "this chain cannot be read here")
    found = verify_eth_anchor(
        replace(proof, anchors=(anchor,)),
        network=chain.network,
        transaction=chain.transaction,
        issuing_addresses=issuing,
    )
    return AnchorCheck("eth", anchor, found.mined_at)


def verify_anchored(
    credential: Mapping[str, Any],
    log: LogSource,
    *,
    chain: ChainReader | None = None,
    issuing_addresses: Collection[str] | None = None,
    now: datetime,
) -> tuple[MerkleProof, list[AnchorCheck]]:
    """Recompute the leaf, fold the path to the root, then find the root in every anchor the
    proof names (our log: under a signed checkpoint; Ethereum: in the transaction's data,
    sent by one of `issuing_addresses` when given).

    Raises `ProofError` naming the first failed check: the credential is not genuine. An
    anchor of a kind we cannot check (Bitcoin, a chain we cannot read) fails too: "valid"
    must mean checked.
    """
    proof = verify_credential(credential)
    if not proof.anchors:
        raise ProofError("anchor.missing", "the proof names no anchor")
    found = []
    for anchor in proof.anchors:
        if anchor.startswith("blink:tlog:"):
            found.append(check_log_anchor(proof, anchor, log, now))
        elif anchor.startswith("blink:eth:"):
            found.append(_check_chain(proof, anchor, chain, issuing_addresses))
        else:
            raise ProofError("anchor.unsupported", f"cannot check {anchor.split(':')[1]} anchors")
    return proof, found


def parse_credential(text: str | bytes) -> dict[str, Any]:
    """A credential from JSON text; `ProofError` when it is not a JSON object."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise ProofError("credential.parsed", "not JSON") from None
    if not isinstance(document, dict):
        raise ProofError("credential.parsed", "not a JSON object")
    return document


__all__ = [
    "AnchorCheck",
    "ChainKey",
    "ChainReader",
    "CredentialContent",
    "LogProof",
    "LogSource",
    "OpenBadgesError",
    "build_credential",
    "check_log_anchor",
    "issuer_profile",
    "keys_from_json",
    "parse_credential",
    "rfc3339",
    "verify_anchored",
]
