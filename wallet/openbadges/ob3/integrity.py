"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C vc-di-eddsa, §3.2).

Signing: the proof options (the proof without `proofValue`, with the document's `@context`)
and the document without its proof are each canonicalised (RDFC-1.0 over bundled contexts,
`jsonld.canonicalize`) and hashed with SHA-256; Ed25519 signs the proof options' hash
followed by the document's hash; `proofValue` is `z` + base58btc of the 64-byte signature.
Verifying redoes the same and checks the signature with the key the proof names.

A document may carry several proofs (`proof` a list): each is checked against the document
without any of them, which is how a proof set is made.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from wallet.openbadges import _fields as f
from wallet.openbadges import jsonld
from wallet.openbadges.errors import (
    CanonicalisationError,
    DocumentError,
    OpenBadgesError,
    ProofError,
)
from wallet.openbadges.multibase import decode_base58btc, encode_base58btc

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PURPOSE = "assertionMethod"

Canonicalize = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class Proof:
    """One Data Integrity proof as found in a document."""

    type: str
    cryptosuite: str
    verification_method: str
    proof_purpose: str
    proof_value: str
    created: datetime | None
    raw: Mapping[str, Any]

    @classmethod
    def from_json(cls, value: Any, path: str = "proof") -> Proof:
        doc = f.as_object(value, path)
        created = doc.get("created")
        return cls(
            type=f.text(doc, "type", path),
            cryptosuite=f.optional_text(doc, "cryptosuite", path) or "",
            verification_method=f.text(doc, "verificationMethod", path),
            proof_purpose=f.text(doc, "proofPurpose", path),
            proof_value=f.text(doc, "proofValue", path),
            created=None if created is None else f.parse_datetime(created, f.join(path, "created")),
            raw=doc,
        )


def proofs_of(document: Mapping[str, Any]) -> list[Any]:
    """The raw `proof` entries of a document (none, one or a set)."""
    return f.object_list(document, "proof")


def unsecured(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document without its proofs."""
    return {key: value for key, value in document.items() if key != "proof"}


def proof_options(document: Mapping[str, Any], proof: Mapping[str, Any]) -> dict[str, Any]:
    """The proof without `proofValue`, in the document's `@context` (what gets canonicalised)."""
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    options["@context"] = document.get("@context")
    return options


def hash_data(
    document: Mapping[str, Any],
    options: Mapping[str, Any],
    canonicalize: Canonicalize = jsonld.canonicalize,
) -> bytes:
    """SHA-256(canonical proof options) followed by SHA-256(canonical unsecured document)."""
    options_hash = hashlib.sha256(canonicalize(options).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonicalize(unsecured(document)).encode("utf-8")).digest()
    return options_hash + document_hash


def sign(
    document: Mapping[str, Any],
    private_key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    *,
    created: datetime | None = None,
    canonicalize: Canonicalize = jsonld.canonicalize,
    strict: bool = True,
    as_list: bool = False,
) -> dict[str, Any]:
    """A copy of `document` with an `eddsa-rdfc-2022` proof added (a second proof makes a
    proof set; `as_list` writes even the first as a list of one, as 1EdTech's schema for
    Open Badges 3.0 wants it). Raises `UnknownContextError` / `CanonicalisationError` for
    what cannot be canonicalised over bundled contexts, and `CanonicalisationError` for a
    term no context defines: it would be dropped from the canonical form, so it would go
    unsigned (or, under a context's catch-all `@vocab`, be signed with a meaning nobody
    defined). `strict=False` skips that check (for documents whose contexts map every term
    on purpose)."""
    moment = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": moment.isoformat().replace("+00:00", "Z"),
        "verificationMethod": verification_method,
        "proofPurpose": PURPOSE,
    }
    options = proof_options(document, proof)
    if strict:
        # one canonicalisation does both: with the fallback vocabulary appended, a term no
        # context defines comes out under it (refused); when none does, the N-Quads are
        # exactly those of the document without it, which are what is signed
        nquads = canonicalize(jsonld.with_fallback_vocab(unsecured(document)))
        unmapped = jsonld.unmapped_terms(nquads)
        if unmapped:
            raise CanonicalisationError(f"terms no context defines: {', '.join(unmapped)}")
        options_hash = hashlib.sha256(canonicalize(options).encode("utf-8")).digest()
        data = options_hash + hashlib.sha256(nquads.encode("utf-8")).digest()
    else:
        data = hash_data(document, options, canonicalize)
    signature = private_key.sign(data)
    proof["proofValue"] = encode_base58btc(signature)
    signed = copy.deepcopy(dict(document))
    existing = proofs_of(signed)
    signed["proof"] = [*existing, proof] if existing or as_list else proof
    return signed


def read_proof(value: Any, path: str = "proof") -> Proof:
    """A proof's fields, checked for the one suite we verify (ProofError otherwise)."""
    try:
        proof = Proof.from_json(value, path)
    except DocumentError as error:
        raise ProofError("proof.valid", str(error)) from None
    if proof.type != PROOF_TYPE or proof.cryptosuite != CRYPTOSUITE:
        suite = proof.cryptosuite or proof.type
        raise ProofError("proof.suite", f"unknown cryptosuite {suite} (only {CRYPTOSUITE})")
    if proof.proof_purpose != PURPOSE:
        raise ProofError("proof.valid", f"proof purpose {proof.proof_purpose}, not {PURPOSE}")
    return proof


def verify(
    document: Mapping[str, Any],
    proof: Proof,
    public_key: ed25519.Ed25519PublicKey,
    canonicalize: Canonicalize = jsonld.canonicalize,
) -> None:
    """Check one proof of `document` with `public_key`; ProofError(`proof.valid`) if it does
    not hold. Context errors (`UnknownContextError`) propagate for the caller to name."""
    try:
        signature = decode_base58btc(proof.proof_value)
    except OpenBadgesError as error:
        raise ProofError("proof.valid", f"proofValue: {error}") from None
    if len(signature) != 64:
        raise ProofError("proof.valid", "proofValue is not a 64-byte Ed25519 signature")
    data = hash_data(document, proof_options(document, proof.raw), canonicalize)
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        raise ProofError("proof.valid", "the signature does not match the document") from None
